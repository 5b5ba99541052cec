// sersync's -d: start `rsync-live sersync …` again as a detached child (its own session, stdin closed, stdout
// and stderr appended to a log file, argv without -d) and return once the child has started: it writes its
// pid file when its configuration is read and syncing begins. The child removes the pid file when it stops.
// A systemd unit (build/rsync-live.service) is the better way to run it in the background.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** Set in the detached child: where to write its pid file. */
export const PID_FILE_ENV = 'RSYNC_LIVE_PID_FILE';

export interface DetachOptions {
  /** The command line to run again (the program and script, then the arguments without -d). */
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
  /** Longest wait for the child to start, default 60 s. */
  startTimeoutMs?: number;
}

export interface DetachResult {
  /** 0 once the child runs; the child's exit status when it stopped before starting. */
  exitCode: number;
  pid: number | null;
  message: string;
}

async function readPid(file: string): Promise<number | null> {
  try {
    const text = (await fsp.readFile(file, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

async function logTail(file: string): Promise<string> {
  try {
    const text = await fsp.readFile(file, 'utf8');
    return text.trim().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

export async function detach(options: DetachOptions): Promise<DetachResult> {
  await fsp.mkdir(path.dirname(options.logFile), { recursive: true });
  await fsp.mkdir(path.dirname(options.pidFile), { recursive: true });
  const existing = await readPid(options.pidFile);
  if (existing !== null && existing !== process.pid) {
    let alive: boolean;
    try {
      process.kill(existing, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (alive) {
      return {
        exitCode: 1,
        pid: existing,
        message: `already running as pid ${existing} (pid file ${options.pidFile}): stop it first (kill ${existing})`,
      };
    }
  }
  await fsp.rm(options.pidFile, { force: true });
  const log = fs.openSync(options.logFile, 'a', 0o600);
  const [program, ...args] = options.argv as [string, ...string[]];
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: { ...options.env, [PID_FILE_ENV]: options.pidFile },
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', () => resolve(127));
  });
  let exitCode: number | null = null;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      const tail = await logTail(options.logFile);
      return {
        exitCode: exitCode || 1,
        pid: null,
        message: `stopped while starting (exit ${exitCode}); the end of ${options.logFile}:\n${tail}`,
      };
    }
    if ((await readPid(options.pidFile)) === child.pid) {
      child.unref();
      return {
        exitCode: 0,
        pid: child.pid ?? null,
        message: `running in the background as pid ${child.pid} (pid file ${options.pidFile}, log ${options.logFile}); stop it with kill ${child.pid}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.unref();
  return {
    exitCode: 0,
    pid: child.pid ?? null,
    message: `started pid ${child.pid} in the background, but it has not written ${options.pidFile} yet: check ${options.logFile}`,
  };
}

/** In the detached child: writes the pid file named by the parent (if any); returns the remover. */
export async function writePidFile(env: NodeJS.ProcessEnv): Promise<() => Promise<void>> {
  const file = env[PID_FILE_ENV];
  if (!file) return async () => {};
  await fsp.writeFile(file, `${process.pid}\n`, { mode: 0o644 });
  return async () => {
    if ((await readPid(file)) === process.pid) await fsp.rm(file, { force: true });
  };
}
