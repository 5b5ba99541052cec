// sersync's <failLog path timeToExecute>, made safe: failed paths (the engine's `paths-failed` events) are
// appended to a readable record, one line per path (ISO time, pair, target, exit code, path, error), in a
// file created 0600 without following symlinks (it often lives in /tmp) and never executable or writable by
// others. While a target is failing, engine.retryNow is called every `retryMs`, on top of the backoff.
import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import type { EngineEvents, EngineState } from '../shared/state.js';

type PathsFailed = EngineEvents['paths-failed'][0];
type Recovered = EngineEvents['recovered'][0];

/** The part of the Engine a FailLog needs. */
export interface FailLogSource {
  on(event: 'paths-failed', listener: (info: PathsFailed) => void): unknown;
  on(event: 'recovered', listener: (info: Recovered) => void): unknown;
  off(event: 'paths-failed', listener: (info: PathsFailed) => void): unknown;
  off(event: 'recovered', listener: (info: Recovered) => void): unknown;
  state(): EngineState;
  retryNow(pairId?: string, targetId?: string): void;
}

export interface FailLogOptions {
  path: string;
  /** How often failing targets are retried (sersync's timeToExecute, in ms). 0 = never. */
  retryMs: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Rotate to "<path>.1" beyond this size, default 16 MiB. */
  maxBytes?: number;
  now?: () => Date;
}

/** One record line. Paths and messages are JSON strings, so any byte in a name stays on one line. */
export function formatRecord(
  at: Date,
  info: { pair: string; target: string; exitCode: number | null; path: string; error: string },
): string {
  return `${at.toISOString()} pair=${info.pair} target=${info.target} exit=${info.exitCode ?? '-'} path=${JSON.stringify(info.path)} error=${JSON.stringify(info.error)}\n`;
}

export class FailLog {
  readonly #source: FailLogSource;
  readonly #options: FailLogOptions;
  #handle: fs.FileHandle | null = null;
  #size = 0;
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  /** Paths recorded per "pair\0target" in the current incident: each is written once until it recovers. */
  readonly #recorded = new Map<string, Set<string>>();
  #broken = false;
  readonly #onFailed = (info: PathsFailed): void => this.#record(info);
  readonly #onRecovered = (info: Recovered): void => this.#recover(info);

  constructor(source: FailLogSource, options: FailLogOptions) {
    this.#source = source;
    this.#options = options;
  }

  get path(): string {
    return this.#options.path;
  }

  /** Opens (creates 0600) the file; throws with what to do when it is unsafe or cannot be opened. */
  async open(): Promise<void> {
    const file = this.#options.path;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(
        file,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') {
        throw new Error(
          `fail log ${file} is a symbolic link: refusing to follow it (someone may be redirecting the log); remove it or pick another path`,
          { cause: error },
        );
      }
      throw new Error(
        `cannot open fail log ${file} (${code ?? (error as Error).message}): check the directory exists and is writable`,
        { cause: error },
      );
    }
    const stat = await handle.stat();
    const uid = process.getuid?.();
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) {
      await handle.close();
      throw new Error(
        `fail log ${file} is ${stat.isFile() ? `owned by uid ${stat.uid}, not by this user` : 'not a regular file'}: remove it or pick another path`,
      );
    }
    const mode = stat.mode & 0o777;
    if ((mode & 0o137) !== 0) {
      // Never executable, never writable by group or others, never readable by others.
      await handle.chmod(mode & 0o640);
      this.#options.log(
        'warn',
        `fail log ${file} had mode ${mode.toString(8).padStart(4, '0')}: set to ${(mode & 0o640).toString(8).padStart(4, '0')} (a record, not a script)`,
      );
    }
    this.#size = stat.size;
    this.#handle = handle;
  }

  start(): void {
    this.#source.on('paths-failed', this.#onFailed);
    this.#source.on('recovered', this.#onRecovered);
    if (this.#options.retryMs > 0) {
      this.#timer = setInterval(() => this.retryFailing(), this.#options.retryMs);
      this.#timer.unref();
    }
  }

  /** Retries every failing target now; returns how many. */
  retryFailing(): number {
    let count = 0;
    for (const pair of this.#source.state().pairs) {
      for (const target of pair.targets) {
        if (!target.error) continue;
        this.#source.retryNow(pair.id, target.id);
        count++;
      }
    }
    if (count > 0)
      this.#options.log('info', `fail log: retrying ${count} failing target(s) now (timeToExecute)`);
    return count;
  }

  #targetLabel(pairId: string, targetId: string): string {
    const pair = this.#source.state().pairs.find((p) => p.id === pairId);
    return pair?.targets.find((t) => t.id === targetId)?.url ?? targetId;
  }

  #record(info: PathsFailed): void {
    const key = `${info.pairId}\0${info.targetId}`;
    let recorded = this.#recorded.get(key);
    if (!recorded) this.#recorded.set(key, (recorded = new Set()));
    const at = (this.#options.now ?? (() => new Date()))();
    const target = this.#targetLabel(info.pairId, info.targetId);
    const error = info.error?.message ?? `rsync exited with ${info.exitCode ?? 'a signal'}`;
    let text = '';
    for (const p of info.paths) {
      if (recorded.has(p)) continue;
      recorded.add(p);
      text += formatRecord(at, { pair: info.pairId, target, exitCode: info.exitCode, path: p, error });
    }
    if (text !== '') this.#append(text);
  }

  #recover(info: Recovered): void {
    if (info.targetId === null) return;
    const key = `${info.pairId}\0${info.targetId}`;
    const recorded = this.#recorded.get(key);
    if (!recorded || recorded.size === 0) return;
    this.#recorded.delete(key);
    const at = (this.#options.now ?? (() => new Date()))();
    this.#append(
      `${at.toISOString()} pair=${info.pairId} target=${this.#targetLabel(info.pairId, info.targetId)} recovered: the ${recorded.size} path(s) above were sent\n`,
    );
  }

  #append(text: string): void {
    this.#writing = this.#writing.then(async () => {
      if (!this.#handle || this.#broken) return;
      try {
        if (this.#size > (this.#options.maxBytes ?? 16 * 1024 * 1024)) await this.#rotate();
        const bytes = Buffer.from(text, 'utf8');
        await this.#handle.write(bytes);
        this.#size += bytes.length;
      } catch (error) {
        this.#broken = true;
        this.#options.log(
          'error',
          `cannot write fail log ${this.#options.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): failed paths are still retried, only the record stops`,
        );
      }
    });
  }

  async #rotate(): Promise<void> {
    await this.#handle?.close();
    this.#handle = null;
    await fs.rename(this.#options.path, `${this.#options.path}.1`);
    await this.open();
  }

  /** Writes what is pending and closes the file. */
  async stop(): Promise<void> {
    this.#source.off('paths-failed', this.#onFailed);
    this.#source.off('recovered', this.#onRecovered);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#writing;
    await this.#handle?.close();
    this.#handle = null;
  }
}
