// One child process for the rsync runner (./runner.ts), through node:child_process directly: argv array (never a
// shell), stdin fed from a Buffer then closed, stdout and stderr handed over as streams, an AbortSignal and
// kill() that send SIGTERM and SIGKILL 3 s later if the child is still there, and a result that never throws
// (exit code, signal, or the spawn error's code). A child that is not detached is killed when this process
// exits (a detached one dies through its parent-death signal, ./parent-death.ts). This replaced execa on the
// watch path (issue 15: execa's code cost ~4 MB of a long-running watch's RSS, docs/benchmarks.md "Memory").
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ChildRequest {
  file: string;
  args: readonly string[];
  input: Buffer;
  /** Added to this process's environment; an undefined value removes the variable. */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  detached: boolean;
  /** SIGKILL this long after a SIGTERM that did not end the child. */
  forceKillAfterMs: number;
}

export interface ChildResult {
  exitCode: number | null;
  signal: string | null;
  /** Why the child could not be started (ENOENT, EACCES...): then exitCode and signal are null. */
  spawnError?: string;
}

export interface RunningChild {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Sends `signal`, then SIGKILL after forceKillAfterMs unless the child ended. */
  kill(signal: NodeJS.Signals): void;
  readonly result: Promise<ChildResult>;
}

/** Children started without `detached`: killed when this process exits. */
const attached = new Set<RunningChild>();
let exitHook = false;

export function runChild(request: ChildRequest): RunningChild {
  const child = spawn(request.file, request.args, {
    env: { ...process.env, ...request.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: request.detached,
    windowsHide: true,
  });
  let ended = false;
  let forceTimer: NodeJS.Timeout | null = null;
  const kill = (signal: NodeJS.Signals): void => {
    if (ended) return;
    child.kill(signal);
    if (forceTimer === null && signal !== 'SIGKILL') {
      forceTimer = setTimeout(() => {
        if (!ended) child.kill('SIGKILL');
      }, request.forceKillAfterMs);
      forceTimer.unref();
    }
  };
  const onAbort = (): void => kill('SIGTERM');
  // The child may exit before it read all of its input (a refused login): that EPIPE is not an error here.
  child.stdin.on('error', () => {});
  const result = new Promise<ChildResult>((resolve) => {
    let spawnError: string | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) spawnError = error.code ?? error.message;
    });
    child.once('close', (code, signal) => {
      ended = true;
      if (forceTimer !== null) clearTimeout(forceTimer);
      request.signal?.removeEventListener('abort', onAbort);
      attached.delete(running);
      resolve(
        spawnError !== undefined
          ? { exitCode: null, signal: null, spawnError }
          : { exitCode: code, signal: signal ?? null },
      );
    });
  });
  const running: RunningChild = { pid: child.pid, stdout: child.stdout, stderr: child.stderr, kill, result };
  if (child.pid !== undefined) {
    child.stdin.end(request.input);
    if (request.signal?.aborted) onAbort();
    else request.signal?.addEventListener('abort', onAbort, { once: true });
    if (!request.detached) {
      attached.add(running);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const other of attached) other.kill('SIGTERM');
        });
      }
    }
  }
  return running;
}
