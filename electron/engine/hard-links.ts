// Hard links: a write through one name of a file changes every name it has, yet the watcher reports only the
// name used. Files written where they stood (the coalescer's onChangedInPlace: not created, moved or removed)
// are looked at; one that has other names (nlink > 1) asks for a full sync of the pair, whose quick check finds
// those names (same inode: new size or mtime). A chmod alone is not looked at: `ln` changes the same attributes
// (the link count), and a full sync for every new link would be waste. At most one such full sync per
// HARD_LINK_RESYNC_MS: a hard-linked file written all the time costs one full sync per interval, and the
// last write of a series is always followed by one.
import fs from 'node:fs/promises';
import { absolute, type RelPath } from './byte-path.js';
import type { Clock } from './clock.js';

export const HARD_LINK_RESYNC_MS = 10_000;
/** lstat calls in flight at once. */
const PARALLEL = 64;

export interface HardLinkCheckOptions {
  root: Buffer;
  clock: Clock;
  /** Asks the pair for a full sync; `path` is one file with other names (for the reason shown). */
  resync: (path: RelPath) => void;
  intervalMs?: number;
}

export class HardLinkCheck {
  readonly #o: HardLinkCheckOptions;
  #lastAt = -Infinity;
  #timer: unknown = null;
  #waiting: RelPath | null = null;
  #stopped = false;

  constructor(options: HardLinkCheckOptions) {
    this.#o = options;
  }

  /** Looks at files changed in place; resolves once they have been looked at. */
  async check(paths: readonly RelPath[]): Promise<void> {
    for (let i = 0; i < paths.length && !this.#stopped; i += PARALLEL) {
      const chunk = paths.slice(i, i + PARALLEL);
      const links = await Promise.all(chunk.map((p) => this.#links(p)));
      const linked = chunk.find((_, k) => (links[k] ?? 1) > 1);
      if (linked !== undefined) {
        this.#request(linked);
        return;
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #links(path: RelPath): Promise<number> {
    try {
      const stat = await fs.lstat(absolute(this.#o.root, path));
      return stat.isFile() ? stat.nlink : 1;
    } catch {
      return 1; // gone meanwhile: its deletion reports itself
    }
  }

  /** A full sync now, or once the interval since the last one has passed (one waits at a time). */
  #request(path: RelPath): void {
    if (this.#stopped) return;
    const { clock } = this.#o;
    const interval = this.#o.intervalMs ?? HARD_LINK_RESYNC_MS;
    const due = this.#lastAt + interval;
    if (clock.now() >= due && this.#timer === null) {
      this.#fire(path);
      return;
    }
    this.#waiting = path;
    this.#timer ??= clock.setTimeout(
      () => {
        this.#timer = null;
        const waiting = this.#waiting;
        this.#waiting = null;
        if (waiting !== null && !this.#stopped) this.#fire(waiting);
      },
      Math.max(0, due - clock.now()),
    );
  }

  #fire(path: RelPath): void {
    this.#lastAt = this.#o.clock.now();
    this.#o.resync(path);
  }
}
