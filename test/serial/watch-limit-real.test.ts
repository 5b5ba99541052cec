// The real inotify watch limit, not a simulation: fs.inotify.max_user_watches is lowered below what a folder
// of 300 directories needs, and the pair must say so (the sysctl, a value to set, the directories found) and
// keep the target complete with periodic full syncs. The limit is machine-wide (per user), so this file lives
// in test/serial/, which vitest runs alone after every other test file (vitest.config.ts); the limit is
// lowered only until the watcher has hit it, and restored in a finally, in afterAll, and by a detached
// watchdog should this worker die in between. Needs root (writing /proc/sys); skipped otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const SYSCTL = '/proc/sys/fs/inotify/max_user_watches';
const DIRECTORIES = 300;
/** Watches left for the pair (and anything else of ours that starts meanwhile): far fewer than it needs. */
const HEADROOM = 40;

const isRoot = process.getuid?.() === 0;
const canWriteSysctl =
  isRoot &&
  (await fs.access(SYSCTL, fs.constants.W_OK).then(
    () => true,
    () => false,
  ));

const readLimit = async (): Promise<number> => Number((await fs.readFile(SYSCTL, 'utf8')).trim());
const writeLimit = (value: number): Promise<void> => fs.writeFile(SYSCTL, `${value}\n`);

/**
 * inotify watches held by processes running as `uid` (the limit counts per user): one `inotify wd:` line per
 * watch in /proc/PID/fdinfo/FD. An fd shared by several processes is counted once per process, which can only
 * overstate the use; the HEADROOM absorbs that and what other processes add meanwhile.
 */
async function watchesInUse(uid: number): Promise<number> {
  let count = 0;
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
      const euid = /^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
      if (Number(euid) !== uid) continue;
      for (const fd of await fs.readdir(`/proc/${pid}/fdinfo`)) {
        const info = await fs.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
        count += info.match(/^inotify wd:/gm)?.length ?? 0;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return count;
}

/** Inode numbers of the directories this process watches (the engine runs in this process). */
async function watchedInodes(): Promise<Set<number>> {
  const inodes = new Set<number>();
  for (const fd of await fs.readdir('/proc/self/fdinfo')) {
    const info = await fs.readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '');
    for (const m of info.matchAll(/^inotify wd:\S+ ino:([0-9a-f]+)/gm))
      inodes.add(parseInt(m[1] as string, 16));
  }
  return inodes;
}

/**
 * A detached process that puts the original limit back if this worker dies before it does (vitest kills
 * workers with SIGTERM then SIGKILL, which skip every hook): it waits for its stdin to close, then restores
 * the value unless it was told "done" or someone else has changed the value since.
 */
function startRestoreWatchdog(original: number, lowered: number): ChildProcess {
  const script = `
    const fs = require('node:fs');
    let done = false;
    process.stdin.on('data', (b) => { if (String(b).includes('done')) done = true; });
    const restore = () => {
      try {
        if (!done && Number(fs.readFileSync(${JSON.stringify(SYSCTL)}, 'utf8')) === ${lowered})
          fs.writeFileSync(${JSON.stringify(SYSCTL)}, '${original}\\n');
      } catch {}
      process.exit(0);
    };
    process.stdin.on('end', restore);
    process.stdin.on('error', restore);
  `;
  const child = spawn(process.execPath, ['-e', script], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  child.unref();
  return child;
}

describe('the real inotify watch limit (fs.inotify.max_user_watches lowered for the test)', () => {
  let original: number | null = null;
  let watchdog: ChildProcess | null = null;
  let h: Harness | null = null;
  const dirs: string[] = [];

  async function restore(): Promise<void> {
    if (original === null) return;
    await writeLimit(original);
    original = null;
    watchdog?.stdin?.end('done\n');
    watchdog = null;
  }

  afterAll(async () => {
    await restore();
    await h?.stop();
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!canWriteSysctl)(
    'the pair names the sysctl, a value and the directories, and periodic full syncs carry what is not watched (needs root to write /proc/sys; skipped otherwise)',
    async () => {
      const src = await tempDir();
      const dest = await tempDir();
      dirs.push(src, dest);
      for (let i = 0; i < DIRECTORIES; i++) await fs.mkdir(path.join(src, `d${String(i).padStart(3, '0')}`));
      await fs.writeFile(path.join(src, 'top.txt'), 'at the top');

      const before = await readLimit();
      const lowered = (await watchesInUse(0)) + HEADROOM;
      expect(lowered, 'the machine already uses nearly as many watches as the folder needs').toBeLessThan(
        before,
      );
      original = before;
      watchdog = startRestoreWatchdog(before, lowered);
      await writeLimit(lowered);
      let harness: Harness;
      const fullRuns = new Set<number>();
      const sentByFullSyncs = new Set<string>();
      try {
        harness = h = await startHarness(pairConfig({ folder: src, targets: [{ id: 'a', url: dest }] }));
        // What full syncs send (each announces itself after this point: its first step is asynchronous).
        harness.engine.on('batch-start', (b) => {
          if (b.kind === 'full') fullRuns.add(b.runId);
        });
        harness.engine.on('file', (f) => {
          if (fullRuns.has(f.runId)) sentByFullSyncs.add(f.path);
        });
        await eventually(
          () => expect(harness.engine.state().pairs[0]?.watcher.error?.kind).toBe('watch-limit'),
          10_000,
        );
      } finally {
        // The watcher stops adding watches once it hits the limit: the rest of the test runs on the real value.
        await restore();
      }
      const pair = harness.engine.state().pairs[0];
      expect(await readLimit()).toBe(before);
      expect(pair?.status).toBe('error');
      expect(pair?.watcher.error?.class).toBe('config');
      expect(pair?.watcher.error?.message).toBe(
        `cannot watch ${src}: the inotify watch limit (fs.inotify.max_user_watches) was reached after ` +
          `${DIRECTORIES + 1} directories. Raise it, e.g. \`sysctl fs.inotify.max_user_watches=524288\` and ` +
          'persist it in /etc/sysctl.d/90-rsync-live.conf; until then this folder is kept in sync by periodic full syncs.',
      );
      expect(harness.failures.some((f) => f.targetId === null && f.error.kind === 'watch-limit')).toBe(true);
      await waitForConverge(src, dest);

      // Directories the kernel refused to watch: no event can come from them.
      const watched = await watchedInodes();
      expect(watched.size).toBeGreaterThan(0);
      expect(watched.size).toBeLessThanOrEqual(HEADROOM * 2);
      const unwatched: string[] = [];
      for (const name of await fs.readdir(src)) {
        const stat = await fs.stat(path.join(src, name));
        if (stat.isDirectory() && !watched.has(stat.ino)) unwatched.push(name);
      }
      expect(unwatched.length).toBeGreaterThan(DIRECTORIES - HEADROOM * 2);

      // One file in every directory, watched or not: all of them arrive, the unwatched ones carried by the
      // periodic full syncs (every 2 s in the harness).
      for (let i = 0; i < DIRECTORIES; i++) {
        const name = `d${String(i).padStart(3, '0')}`;
        await fs.writeFile(path.join(src, name, 'new.txt'), `written into ${name}`);
      }
      await waitForConverge(src, dest, { timeoutMs: 20_000 });
      await harness.engine.whenIdle();
      for (const name of unwatched) expect(sentByFullSyncs).toContain(`${name}/new.txt`);
      // And it keeps going: a later change in an unwatched directory arrives the same way.
      const last = unwatched.at(-1) as string;
      await fs.writeFile(path.join(src, last, 'later.txt'), 'later');
      await waitForConverge(src, dest, { timeoutMs: 20_000 });
      await harness.engine.whenIdle();
      expect(sentByFullSyncs).toContain(`${last}/later.txt`);
      expect(harness.batches.every((b) => b.ok)).toBe(true);
    },
  );
});
