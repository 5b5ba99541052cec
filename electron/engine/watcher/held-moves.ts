// The IN_MOVED_FROMs the native watcher (kernel-watcher.ts) holds while it waits for their IN_MOVED_TO: by
// cookie, taken back when the next read batch arrives (its pair, if any, is in it), handed to `onExpired` after
// MOVE_PAIR_MS on the clock otherwise (moves out of the folder), or claimed by a listing that found what one of
// them moved (a directory by its inode, a file by its name), through an index built when a claim needs it.
import type { Clock } from '../clock.js';
import type { DirRecord } from './dir-records.js';

/** How long an IN_MOVED_FROM left unpaired at the end of a read batch waits for its IN_MOVED_TO. */
export const MOVE_PAIR_MS = 50;

export interface HeldMove<R extends DirRecord<R> & { readonly ino: number }> {
  /** The directory the name left. */
  dir: R;
  name: string;
  isDir: boolean;
  /** A directory's record at the old path when the move was read. */
  record?: R | undefined;
}

/** What a listing claims a held move by: a directory's inode, a file's name. */
export function claimKey(isDir: boolean, inoOrName: number | string | undefined): string {
  return `${isDir ? 'd' : 'f'}${inoOrName}`;
}

export class HeldMoves<R extends DirRecord<R> & { readonly ino: number }> {
  readonly #clock: Clock;
  readonly #onExpired: (moves: HeldMove<R>[]) => void;
  readonly #byCookie = new Map<number, HeldMove<R>>();
  /** Cookies by claimKey; null when it must be built again (a move was held or taken since). */
  #index: Map<string, number[]> | null = null;
  #timer: unknown = null;

  constructor(clock: Clock, onExpired: (moves: HeldMove<R>[]) => void) {
    this.#clock = clock;
    this.#onExpired = onExpired;
  }

  get size(): number {
    return this.#byCookie.size;
  }

  hold(cookie: number, move: HeldMove<R>): void {
    this.#byCookie.set(cookie, move);
    this.#index = null;
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#onExpired([...this.takeAll().values()]);
    }, MOVE_PAIR_MS);
  }

  /** Every held move, by cookie, taken out; the timer stops. */
  takeAll(): Map<number, HeldMove<R>> {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    const all = new Map(this.#byCookie);
    this.#byCookie.clear();
    this.#index = null;
    return all;
  }

  /** Offers the held moves with `key` (claimKey) to `take`, in order: the first it takes (true) is taken out. */
  claim(key: string, take: (move: HeldMove<R>) => boolean): HeldMove<R> | null {
    if (this.#byCookie.size === 0) return null;
    this.#index ??= this.#buildIndex();
    const cookies = this.#index.get(key) ?? [];
    for (let i = 0; i < cookies.length; i++) {
      const cookie = cookies[i] as number;
      const move = this.#byCookie.get(cookie);
      if (!move || !take(move)) continue;
      cookies.splice(i, 1);
      this.#byCookie.delete(cookie);
      return move;
    }
    return null;
  }

  #buildIndex(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    for (const [cookie, move] of this.#byCookie) {
      if (move.isDir && !move.record) continue; // no inode known to claim it by
      const key = claimKey(move.isDir, move.isDir ? move.record?.ino : move.name);
      const cookies = index.get(key);
      if (cookies) cookies.push(cookie);
      else index.set(key, [cookie]);
    }
    return index;
  }
}
