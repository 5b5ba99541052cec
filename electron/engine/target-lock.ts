// One engine per folder+target, whoever runs it (watch, run, sersync, serve, the desktop app): a pair takes the
// lock of each of its targets when it starts (./instance-lock.ts, one file per folder+target in the lock
// directory, by default the state directory) and releases them when it stops. A target another process holds
// is not run: its error names the holder (pid, command) and what to do.
import { acquireLock, LockedError, type InstanceLock } from './instance-lock.js';

/** The lock key of one folder+target: the same folder and target always give the same key. */
export function targetLockKey(folder: string, url: string): string {
  return `target\0${folder.replace(/\/+$/, '') || '/'}\0${url.trim().replace(/\/+$/, '')}`;
}

/** Who holds a lock, as another process's message shows it: this process's command line. */
export function defaultLockHolder(): string {
  return ['rsync-live', ...process.argv.slice(2)].join(' ');
}

/** The locks of one pair's targets. */
export class TargetLocks {
  readonly #held = new Map<string, InstanceLock>();

  /** dir null: no locks (an engine without a state directory, as in tests). */
  constructor(
    readonly dir: string | null,
    readonly folder: string,
    readonly holder: string,
  ) {}

  /** Takes the lock of the target `url`: null when taken (or already held), else why not, for the user. */
  async take(url: string): Promise<{ kind: 'in-use' | 'bad-config'; message: string } | null> {
    if (this.dir === null || this.#held.has(url)) return null;
    try {
      const lock = await acquireLock(this.dir, targetLockKey(this.folder, url), {
        what: `${this.folder} → ${url}`,
        command: this.holder,
      });
      this.#held.set(url, lock);
      return null;
    } catch (error) {
      if (error instanceof LockedError) {
        const message = `${error.message}. Retry now (or a restart) takes it over once it is free`;
        return { kind: 'in-use', message };
      }
      const message = `cannot take the lock of ${this.folder} → ${url}: ${(error as Error).message}`;
      return { kind: 'bad-config', message };
    }
  }

  async releaseAll(): Promise<void> {
    const locks = [...this.#held.values()];
    this.#held.clear();
    await Promise.all(locks.map((lock) => lock.release()));
  }
}
