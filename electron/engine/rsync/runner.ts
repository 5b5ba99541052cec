// Runs one rsync process: argv array (never a shell), the file list on stdin, the password only in the
// child's environment, stdout parsed line by line as it streams, stderr kept (bounded) for classification.
// The child dies with this process, even on kill -9: see ./parent-death.ts. With that guarantee it runs in a
// session of its own (setsid), so a terminal's Ctrl-C (SIGINT to the whole foreground process group) reaches
// only rsync-live, which lets the transfer finish, and not rsync, which would die with exit 20 ("received
// SIGINT, SIGTERM, or SIGHUP") mid-file; see docs/reliability.md.
import { execa } from 'execa';
import { withParentDeathSignal } from './parent-death.js';
import { LineSplitter, parseLine, type OutputItem } from './output.js';

export interface RunRequest {
  rsync: string;
  args: readonly string[];
  input: Buffer | null;
  /** Daemon password for RSYNC_PASSWORD, when no password file is used. */
  password: string | null;
  signal?: AbortSignal;
  onItem?: (item: OutputItem) => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  spawnError?: string;
  /** The child's pid, for tests that inspect /proc. */
  pid: number | undefined;
}

const STDERR_LIMIT = 64 * 1024;

export async function runRsync(
  request: RunRequest,
  onSpawn?: (pid: number | undefined) => void,
): Promise<RunResult> {
  const env: Record<string, string | undefined> = { LC_ALL: 'C', RSYNC_PASSWORD: undefined };
  if (request.password !== null) env.RSYNC_PASSWORD = request.password;
  const [file, ...argv] = await withParentDeathSignal(request.rsync, request.args);
  // Only when the parent-death signal is set: without it, execa's clean-up (SIGTERM on exit, which a detached
  // child does not get) is what ends an rsync left running.
  const detached = file !== request.rsync;
  const child = execa(file as string, argv, {
    input: request.input ?? Buffer.alloc(0),
    env,
    extendEnv: true,
    reject: false,
    buffer: { stdout: false, stderr: false },
    encoding: 'buffer',
    stripFinalNewline: false,
    cancelSignal: request.signal,
    forceKillAfterDelay: 3_000,
    windowsHide: true,
    detached,
  });
  onSpawn?.(child.pid);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('latin1');
  });
  const splitter = new LineSplitter();
  const onLine = (line: string): void => {
    const item = parseLine(line);
    if (item) request.onItem?.(item);
  };
  child.stdout?.on('data', (chunk: Buffer) => splitter.push(chunk, onLine));
  const result = await child;
  splitter.end(onLine);
  const spawnError =
    result.failed && result.exitCode === undefined && !result.signal ? spawnCode(result) : undefined;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stderr: Buffer.from(stderr, 'latin1').toString('utf8'),
    pid: child.pid,
    ...(spawnError ? { spawnError } : {}),
  };
}

function spawnCode(result: { cause?: unknown; message?: string }): string {
  const cause = result.cause as NodeJS.ErrnoException | undefined;
  return cause?.code ?? result.message ?? 'unknown error';
}
