// Runs one rsync process: argv array (never a shell), the file list on stdin, the password only in the
// child's environment, stdout parsed line by line as it streams, stderr kept (bounded) for classification.
// The child dies with this process, even on kill -9: see ./parent-death.ts. With that guarantee it runs in a
// session of its own (setsid), so a terminal's Ctrl-C (SIGINT to the whole foreground process group) reaches
// only rsync-live, which lets the transfer finish, and not rsync, which would die with exit 20 ("received
// SIGINT, SIGTERM, or SIGHUP") mid-file; see docs/reliability.md. The process itself: ./child-run.ts.
import { systemClock, type Clock } from '../clock.js';
import { runChild } from './child-run.js';
import { withParentDeathSignal } from './parent-death.js';
import { LineSplitter, parseLine, type OutputItem } from './output.js';
import { procIoProbe, watchStall, type StallWatch } from './stall-watchdog.js';

export interface RunRequest {
  rsync: string;
  args: readonly string[];
  input: Buffer | null;
  /** Daemon password for RSYNC_PASSWORD, when no password file is used. */
  password: string | null;
  signal?: AbortSignal;
  onItem?: (item: OutputItem) => void;
  /**
   * The target's timeout: a run whose argv has no --timeout of its own (./command.ts leaves it out of short
   * daemon runs) is stopped when rsync moves no bytes for this long, and ends as exit 30 (rsync's timeout).
   */
  stall?: { ms: number; clock?: Clock };
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  spawnError?: string;
  /** The child's pid, for tests that inspect /proc. */
  pid: number | undefined;
  /** True when the stall watchdog stopped the run. */
  stalled?: boolean;
}

/** Exit code reported for a run the watchdog stopped: rsync's own "timeout in data send/receive". */
export const STALL_EXIT_CODE = 30;

/** The watchdog runs when the target has a timeout and rsync was not given one. */
export function needsStallWatch(args: readonly string[], stallMs: number | undefined): boolean {
  return stallMs !== undefined && stallMs > 0 && !args.some((a) => a.startsWith('--timeout='));
}

const STDERR_LIMIT = 64 * 1024;

export async function runRsync(
  request: RunRequest,
  onSpawn?: (pid: number | undefined) => void,
): Promise<RunResult> {
  const env: Record<string, string | undefined> = { LC_ALL: 'C', RSYNC_PASSWORD: undefined };
  if (request.password !== null) env.RSYNC_PASSWORD = request.password;
  const [file, ...argv] = await withParentDeathSignal(request.rsync, request.args);
  // Only when the parent-death signal is set: without it, the kill on this process's exit (./child-run.ts) is
  // what ends an rsync left running, and it does not reach a detached child.
  const detached = file !== request.rsync;
  const child = runChild({
    file: file as string,
    args: argv,
    input: request.input ?? Buffer.alloc(0),
    env,
    signal: request.signal,
    detached,
    forceKillAfterMs: 3_000,
  });
  onSpawn?.(child.pid);
  let stalled = false;
  let watch: StallWatch | null = null;
  const stallMs = request.stall?.ms;
  if (needsStallWatch(request.args, stallMs) && child.pid !== undefined) {
    watch = watchStall({
      clock: request.stall?.clock ?? systemClock,
      stallMs: stallMs as number,
      probe: procIoProbe(child.pid),
      onStall: () => {
        stalled = true;
        child.kill('SIGTERM');
      },
    });
  }
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    watch?.touch();
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('latin1');
  });
  const splitter = new LineSplitter();
  const onLine = (line: string): void => {
    const item = parseLine(line);
    if (item) request.onItem?.(item);
  };
  child.stdout.on('data', (chunk: Buffer) => {
    watch?.touch();
    splitter.push(chunk, onLine);
  });
  const result = await child.result;
  watch?.stop();
  splitter.end(onLine);
  if (stalled) {
    const seconds = Math.round((stallMs as number) / 1000);
    return {
      exitCode: STALL_EXIT_CODE,
      signal: null,
      stderr: `${Buffer.from(stderr, 'latin1').toString('utf8')}rsync-live: rsync moved no data for ${seconds} s (the target's timeout); the run was stopped and will be retried\n`,
      pid: child.pid,
      stalled: true,
    };
  }
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stderr: Buffer.from(stderr, 'latin1').toString('utf8'),
    pid: child.pid,
    ...(result.spawnError ? { spawnError: result.spawnError } : {}),
  };
}
