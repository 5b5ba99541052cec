// The small-heap node flags of the installed command (bin/rsync-live.js's first line) and the one relaunch
// without them. The flags keep an inotify watch (native or fs.watch) small, but chokidar allocates hundreds of MB
// at start-up, where a 1 MiB young generation collected on the main thread costs CPU and saves nothing
// (docs/benchmarks.md, "Memory"). So when a pair will watch through chokidar, the command runs again once, as a
// child with the same arguments and stdio but without these flags (an env marker stops a second relaunch);
// signals sent to this process reach the child, its end when this process is killed too, and its exit status
// is ours.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { WatcherBackend } from '../shared/config.js';

/** Set in the relaunched child: it runs with whatever flags it has and never relaunches again. */
export const FULL_HEAP_ENV = 'RSYNC_LIVE_FULL_HEAP';

/**
 * The node flags that shrink the process (the bin's first line; --expose-gc lets it collect once a full sync is
 * over, electron/engine/release-memory.ts). Others (e.g. --inspect) are kept.
 */
const SMALL_HEAP_FLAG = /^--(max-semi-space-size|single-threaded|optimize-for-size|no-opt|expose-gc)(=|$)/;

/** The small-heap flags this process runs with (in process.execArgv). */
export function smallHeapFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.filter((flag) => SMALL_HEAP_FLAG.test(flag));
}

/**
 * Why this process should run without its small-heap flags, or null: a pair watches with chokidar. Not for the
 * fs.watch fallback: measured, the flags cost it no start-up time and save it ~35 MB at 100,000 directories.
 * Null when none of the flags is set or this is already the relaunched child.
 */
export function fullHeapReason(
  pairs: readonly { watcher: WatcherBackend }[],
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): string | null {
  if (env[FULL_HEAP_ENV] === '1' || smallHeapFlags(execArgv).length === 0) return null;
  return pairs.some((pair) => pair.watcher === 'chokidar') ? 'the chokidar watcher' : null;
}

/** execArgv without the small-heap flags (and the value of `--max-semi-space-size N` given apart). */
export function withoutSmallHeapFlags(execArgv: readonly string[]): string[] {
  return execArgv.filter(
    (flag, i) =>
      !SMALL_HEAP_FLAG.test(flag) && !(execArgv[i - 1] === '--max-semi-space-size' && /^\d+$/.test(flag)),
  );
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Runs this command again without the small-heap flags and answers the child's exit status (128 + the signal
 * number when a signal ended it). The child stays in this process group, so whatever stops the group (a
 * terminal's Ctrl-C, systemd, a SIGKILL of the group) reaches it; every signal sent to this process is passed
 * on before this process's own listeners run (the child counts a repeat within a second once: stop-signal.ts),
 * and an IPC channel tells the child when this process is gone.
 */
export function relaunchWithFullHeap(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const nodeArgs = withoutSmallHeapFlags(process.execArgv);
  const child = spawn(process.execPath, [...nodeArgs, ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...env, [FULL_HEAP_ENV]: '1' },
  });
  const forwarders = FORWARDED.map((signal) => {
    const forward = (): void => {
      child.kill(signal);
    };
    process.prependListener(signal, forward);
    return () => process.removeListener(signal, forward);
  });
  return new Promise((resolve) => {
    const done = (status: number): void => {
      for (const remove of forwarders) remove();
      resolve(status);
    };
    child.once('error', (error) => {
      process.stderr.write(`rsync-live: cannot run ${process.execPath} again: ${error.message}\n`);
      done(1);
    });
    child.once('exit', (code, signal) => {
      done(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
