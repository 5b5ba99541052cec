// Benchmark suite: owns the loopback rsync daemons every tool writes to (started once per suite through
// test/helpers/rsync-daemon.ts): one with `socket options = TCP_NODELAY` (the recommended server setting)
// holding modules t1..t3 plus the pre-filled start-up trees, one without it (module t1) for the latency
// comparison. Every module logs each transfer. Also empties modules between runs and reads their log.
import { statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { startRsyncDaemon, type RsyncDaemon } from '../test/helpers/rsync-daemon.js';
import { parseDaemonLog, TRANSFER_LOG_FORMAT, type Transfers } from './daemon-log.js';
import { readFrom } from './proc.js';

export interface BenchTarget {
  module: string;
  url: string;
  /** The module's directory on disk. */
  path: string;
  daemon: RsyncDaemon;
}

export interface BenchDaemons {
  /** TCP_NODELAY on the server side. */
  fast: RsyncDaemon;
  /** Default socket options. */
  plain: RsyncDaemon;
  /** Same password and user on both. */
  password: string;
  passwordFile: string;
  target(daemon: RsyncDaemon, module: string): BenchTarget;
  dispose(): Promise<void>;
}

const LOGGED = { 'transfer logging': 'yes', 'log format': TRANSFER_LOG_FORMAT };

/** `fixedModules` are served from directories the caller owns (the start-up trees), created if missing. */
export async function startDaemons(fixedModules: { name: string; path: string }[]): Promise<BenchDaemons> {
  const fast = await startRsyncDaemon({
    socketNodelay: true,
    modules: [
      { name: 't1', extra: LOGGED },
      { name: 't2', extra: LOGGED },
      { name: 't3', extra: LOGGED },
      ...fixedModules.map((m) => ({ name: m.name, path: m.path, extra: LOGGED })),
    ],
  });
  let plain: RsyncDaemon;
  try {
    plain = await startRsyncDaemon({
      socketNodelay: false,
      password: fast.password,
      modules: [{ name: 't1', extra: LOGGED }],
    });
  } catch (error) {
    await fast.dispose();
    throw error;
  }
  return {
    fast,
    plain,
    password: fast.password,
    passwordFile: fast.passwordFile,
    target(daemon, module) {
      const dir = daemon.modulePaths[module];
      if (dir === undefined) throw new Error(`bench daemons: no module ${module}`);
      return { module, url: daemon.url(module), path: dir, daemon };
    },
    async dispose() {
      await Promise.allSettled([fast.dispose(), plain.dispose()]);
    },
  };
}

/** Removes everything inside `dir`, keeping `dir` itself (an rsync module stays servable). */
export async function emptyDir(dir: string): Promise<void> {
  // Names as bytes: the churn leaves names that are not valid UTF-8.
  const names = await readdir(dir, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
  const base = Buffer.from(`${dir.replace(/\/+$/, '')}/`);
  await Promise.all(names.map((n) => rm(Buffer.concat([base, n]), { recursive: true, force: true })));
}

/** Where a daemon's log ends now: pass it to transfersSince after the run. */
export function logMark(daemon: RsyncDaemon): number {
  try {
    return statSync(daemon.logFile).size;
  } catch {
    return 0;
  }
}

/**
 * The transfers logged since `mark` for `modules`. A daemon process may still be writing its last lines just
 * after the client has gone, so this waits until the log has not grown for 250 ms (at most `waitMs`).
 */
export async function transfersSince(
  daemon: RsyncDaemon,
  mark: number,
  modules: readonly string[],
  waitMs = 3000,
): Promise<Transfers> {
  const deadline = performance.now() + waitMs;
  let size = logMark(daemon);
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = logMark(daemon);
    if (now === size || performance.now() > deadline) break;
    size = now;
  }
  return parseDaemonLog(readFrom(daemon.logFile, mark).toString('latin1'), new Set(modules));
}
