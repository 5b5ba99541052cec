// One engine per folder+target and per serve config: a lock file per key in <state dir>/locks, created
// exclusively, holding who took it (pid, command, since). A lock whose process is gone (kill -9, a crash) is
// taken over; a live one is refused with a LockedError naming the holder. Released on stop and, at the latest,
// when the process exits. A state directory this user cannot write falls back to $TMPDIR/rsync-live-UID.
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
  /** What is locked, in words: "/src → rsync://host/module", "serve config /home/u/.config/…". */
  what: string;
}

export class LockedError extends Error {
  constructor(
    readonly holder: LockHolder,
    readonly file: string,
  ) {
    super(
      `${holder.what} is already in use by another rsync-live: pid ${holder.pid} (${holder.command}) since ${holder.since}. ` +
        `Stop that one first (kill ${holder.pid}), or let it do the work; the lock is ${file}`,
    );
  }
}

export interface InstanceLock {
  readonly file: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    return typeof value.pid === 'number' ? (value as LockHolder) : null;
  } catch {
    return null;
  }
}

const held = new Set<string>();
let exitHook = false;

function releaseAllAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const file of held) {
      try {
        if (readHolder(readFileSync(file, 'utf8'))?.pid === process.pid) unlinkSync(file);
      } catch {
        // already gone
      }
    }
  });
}

/** Where locks go when the state directory cannot be written: per user, in the temp directory. */
export function fallbackLockDir(): string {
  return path.join(os.tmpdir(), `rsync-live-${process.getuid?.() ?? 'user'}`);
}

/** The lock file for `key` (any string: a folder and a target, a config path) under `stateDir`. */
export function lockFile(stateDir: string, key: string): string {
  return path.join(stateDir, 'locks', `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.lock`);
}

/**
 * Takes the lock for `key`, or throws LockedError when a live process holds it. `command` says who holds it
 * (e.g. "rsync-live watch /src rsync://nas/data"); `what` what is locked, for the other process's message.
 */
export async function acquireLock(
  stateDir: string,
  key: string,
  who: { what: string; command: string },
): Promise<InstanceLock> {
  let file = lockFile(stateDir, key);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch {
    // A state directory this user cannot write (HOME of another user, read-only): the per-user temp one.
    file = lockFile(fallbackLockDir(), key);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  }
  const mine: LockHolder = {
    pid: process.pid,
    command: who.command,
    since: new Date().toISOString(),
    what: who.what,
  };
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      await fs.writeFile(file, `${JSON.stringify(mine)}\n`, { flag: 'wx', mode: 0o600 });
      held.add(file);
      releaseAllAtExit();
      return {
        file,
        release: async () => {
          held.delete(file);
          const holder = readHolder(await fs.readFile(file, 'utf8').catch(() => ''));
          if (holder?.pid === process.pid) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const holder = readHolder(text);
    if (holder && holder.pid !== process.pid && alive(holder.pid)) throw new LockedError(holder, file);
    if (holder?.pid === process.pid && held.has(file)) throw new LockedError(holder, file);
    if (holder === null && attempt < 4) {
      // Just created and not written yet by another process, or left half-written long ago: wait a moment.
      const age = await fs.stat(file).then(
        (stat) => Date.now() - stat.mtimeMs,
        () => Infinity,
      );
      if (age < 2_000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
    }
    // The holder is gone (killed, crashed) or the file is half-written: move it aside and try again. If what
    // was moved is not what was judged stale (another process took the lock meanwhile), it goes back.
    const aside = `${file}.stale-${process.pid}`;
    const moved = await fs.rename(file, aside).then(
      () => true,
      () => false,
    );
    if (moved) {
      const movedText = await fs.readFile(aside, 'utf8').catch(() => '');
      if (movedText !== text) await fs.link(aside, file).catch(() => undefined);
      await fs.rm(aside, { force: true });
    }
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing; try again`);
}
