// Benchmark suite: starts tool processes (argv arrays, own process group, stdout and stderr into a log file),
// waits for lines in that log, and stops them by process group: SIGTERM, SIGKILL after a grace period. Every
// group started is remembered so that `killAll` (also run on exit and on SIGINT/SIGTERM) leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { processesInGroups } from './measure.js';

const groups = new Set<number>();
const live = new Set<ChildProcess>();
let hooked = false;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** SIGKILLs every process group this module started. Synchronous: safe in an 'exit' hook. */
export function killAll(): void {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Processes still alive in any group this module started. */
export function leftovers(): { pid: number; comm: string }[] {
  return processesInGroups(groups);
}

export interface Spawned {
  readonly pid: number;
  readonly logFile: string;
  /** performance.now() at spawn. */
  readonly startedAt: number;
  /** Set once the process exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** The log so far (stdout and stderr interleaved). */
  readLog(): string;
  /**
   * Waits until `pattern` has matched `count` times in the log; resolves with performance.now() at detection
   * (the log is polled every `pollMs`). Rejects on timeout or if the process exits first.
   */
  waitFor(pattern: RegExp, options: { count?: number; timeoutMs: number; pollMs?: number }): Promise<number>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the root has exited and the group is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnLogged(
  command: string,
  args: readonly string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Spawned {
  installHooks();
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  groups.add(pid);
  live.add(child);
  let exited: () => void = () => {};
  const exitPromise = new Promise<void>((resolve) => (exited = resolve));
  child.on('error', () => {});
  const spawned: Spawned = {
    pid,
    logFile: options.logFile,
    startedAt: performance.now(),
    exit: null,
    readLog: () => readAll(options.logFile),
    async waitFor(pattern, { count = 1, timeoutMs, pollMs = 20 }) {
      // Incremental and line by line: a log can grow to megabytes (lsyncd prints every path it sends).
      const deadline = performance.now() + timeoutMs;
      const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
      let offset = 0;
      let carry = '';
      let found = 0;
      for (;;) {
        const chunk = readFrom(options.logFile, offset);
        offset += chunk.length;
        const lines = (carry + chunk.toString('latin1')).split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) if (re.test(line)) found++;
        if (found >= count) return performance.now();
        if (spawned.exit) {
          throw new Error(
            `${command} exited (${spawned.exit.signal ?? `code ${spawned.exit.code}`}) before ${pattern}: ${tail(spawned.readLog())}`,
          );
        }
        if (performance.now() > deadline) {
          throw new Error(`${command}: no ${pattern} within ${timeoutMs} ms: ${tail(spawned.readLog())}`);
        }
        await sleep(pollMs);
      }
    },
    async stop(graceMs = 3000) {
      if (!spawned.exit) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      // Children may outlive the root (an rsync in flight): the group goes, whatever is left of it.
      killGroup(pid, 'SIGKILL');
      for (let i = 0; i < 100 && processesInGroups(new Set([pid])).length > 0; i++) await sleep(20);
      live.delete(child);
    },
  };
  child.once('exit', (code, signal) => {
    spawned.exit = { code, signal };
    exited();
  });
  return spawned;
}

/** The file's bytes from `offset` to its current end (empty if it does not exist). */
export function readFrom(file: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

function readAll(file: string): string {
  return readFrom(file, 0).toString('utf8');
}

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-5).join(' | ').slice(-600) || '(no output)';
}
