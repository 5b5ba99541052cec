// Stall watchdog for one rsync run: it stands in for rsync's own --timeout on the short runs that leave it out
// (see noTimeoutArg in ./command.ts). A daemon told --timeout sends MSG_IO_TIMEOUT as a separate small write
// right after the protocol set-up; on a server socket without TCP_NODELAY, Nagle holds it until the client's
// delayed ACK (~40 ms on Linux), which every such run pays. The watchdog gives the same protection without
// that: the run is stopped when the rsync process has moved no bytes (no read or write of any kind, per
// /proc/PID/io, and no output) for the stall limit. Time comes from the injected Clock.
import { readFileSync } from 'node:fs';
import { every, type Clock } from '../clock.js';

/** Bytes the process has read plus written so far (any fd), or null when that cannot be read. */
export type IoProbe = () => number | null;

/** rchar + wchar from /proc/PID/io (Linux); null when the process is gone or the file is unreadable. */
export function procIoProbe(pid: number): IoProbe {
  const file = `/proc/${pid}/io`;
  return () => {
    try {
      const text = readFileSync(file, 'latin1');
      const rchar = /^rchar:\s*(\d+)/m.exec(text);
      const wchar = /^wchar:\s*(\d+)/m.exec(text);
      if (!rchar || !wchar) return null;
      return Number(rchar[1]) + Number(wchar[1]);
    } catch {
      return null;
    }
  };
}

export interface StallWatchOptions {
  clock: Clock;
  /** No progress for this long = stalled. */
  stallMs: number;
  /** The process's I/O counter; progress is any change. Without one, only touch() counts. */
  probe?: IoProbe | null;
  /** Called once, when the run has stalled. */
  onStall: (idleMs: number) => void;
}

export interface StallWatch {
  /** Progress seen by the caller (output from the process). */
  touch(): void;
  stop(): void;
}

/** How often the counter is read: often enough to stop within ~1/4 of the limit after it, at most 1 s apart. */
export function checkIntervalMs(stallMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(stallMs / 4)));
}

export function watchStall(options: StallWatchOptions): StallWatch {
  const { clock, stallMs, probe, onStall } = options;
  let lastProgress = clock.now();
  let lastCount = probe?.() ?? null;
  let fired = false;
  const stop = every(clock, checkIntervalMs(stallMs), () => {
    if (fired) return;
    const count = probe?.() ?? null;
    const now = clock.now();
    if (count !== null && count !== lastCount) {
      lastCount = count;
      lastProgress = now;
      return;
    }
    if (now - lastProgress >= stallMs) {
      fired = true;
      stop();
      onStall(now - lastProgress);
    }
  });
  return {
    touch: () => {
      lastProgress = clock.now();
    },
    stop: () => {
      fired = true;
      stop();
    },
  };
}
