// Coalesces watcher events per path (a Map keyed by path, O(1) per event) and releases each path once it
// has been quiet for a moment: a few milliseconds for a small file, longer for a file that was written to for
// a long time, so that it is sent once, after its last write. Paths that keep changing leave after a maximum
// delay. create+modify+modify becomes one upsert, and a directory delete swallows older events below it.
// Batching for throughput happens downstream: a target's queue takes everything released while its runs
// were in flight.
import type { Clock } from './clock.js';
import { ancestors, type RelPath } from './byte-path.js';
import { combine, type Change, type PathChange } from './path-change.js';

export type { Change, PathChange } from './path-change.js';

export type WatchEventKind = 'created' | 'changed' | 'removed';

export interface WatchEvent {
  kind: WatchEventKind;
  path: RelPath;
  /** Known to be a directory (created or removed). */
  dir?: boolean;
  /** For a removed directory: the entries it held, itself included, as far as the watcher knew. */
  entries?: number;
}

interface Entry {
  change: Change;
  dir: boolean;
  seq: number;
  entries: number;
  /** First and last event for this path since it was last released (ms, the clock's time). */
  firstAt: number;
  lastAt: number;
  /** The longest pause between two of those events: a writer that paused once may pause again. */
  maxGap: number;
  /** How many events arrived for it: a file written in several chunks reports each of them. */
  events: number;
}

export interface CoalescerOptions {
  /** Quiet period: a path leaves once it has had no event for this long. */
  delayMs: number;
  /** A path that keeps changing leaves after this long anyway (a log appended forever). */
  maxDelayMs: number;
  clock: Clock;
  onFlush: (changes: PathChange[]) => void;
}

/** The longest quiet period a file that was written for a long time may need before it counts as finished. */
export const MAX_SETTLE_MS = 1_000;
/**
 * The least quiet period of a file written in several chunks (3 or more events: created or truncated, then
 * written more than once): its writer may stall between two chunks (disk, CPU) for longer than the few
 * milliseconds after which a file written in one go is sent.
 */
export const CHUNKED_SETTLE_MS = 50;

export class Coalescer {
  /** Ordered by each path's last event (an event moves its path to the end). */
  readonly #entries = new Map<RelPath, Entry>();
  readonly #options: CoalescerOptions;
  #seq = 0;
  #timer: unknown = null;
  #timerDue = Infinity;

  constructor(options: CoalescerOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(event: WatchEvent): void {
    const now = this.#options.clock.now();
    const seq = ++this.#seq;
    const previous = this.#entries.get(event.path);
    const firstAt = previous?.firstAt ?? now;
    const maxGap = previous ? Math.max(previous.maxGap, now - previous.lastAt) : 0;
    const events = (previous?.events ?? 0) + 1;
    // A removal keeps what was known: the same directory is often reported gone twice (by its own watch, as a
    // directory, and by its parent's, which no longer knows what it was). combine() holds the rule.
    const prevChange: PathChange | undefined = previous && {
      path: event.path,
      change: previous.change,
      dir: previous.dir,
      entries: previous.entries,
    };
    const next: PathChange =
      event.kind === 'removed'
        ? { path: event.path, change: 'delete', dir: event.dir ?? false, entries: event.entries ?? 1 }
        : { path: event.path, change: 'upsert', dir: event.dir ?? previous?.dir ?? false };
    const combined = combine(prevChange, next);
    const entry: Entry = {
      change: combined.change,
      dir: combined.dir,
      seq,
      entries: combined.entries ?? 1,
      firstAt,
      lastAt: now,
      maxGap,
      events,
    };
    // Delete first so that the map stays ordered by last event.
    this.#entries.delete(event.path);
    this.#entries.set(event.path, entry);
    this.#arm(now + Math.max(this.#options.delayMs, this.#granularityMs()));
  }

  /** Releases everything now (used on stop, before full syncs and by "sync now"). */
  flush(): void {
    this.#release(Infinity);
  }

  close(): void {
    this.#cancelTimer();
    this.#entries.clear();
  }

  /**
   * How long a path must be quiet before it leaves. A file that has been written to for a while (a big copy,
   * a download) needs a quiet period that grows with it, half its writing time or twice the longest pause
   * its writer made, up to MAX_SETTLE_MS, so that it is sent once, after its last write, instead of again and
   * again while it grows. (Node reports no close-after-write; the pauses are all there is to go by.)
   */
  #settleMs(entry: Entry): number {
    const base = this.#options.delayMs;
    if (entry.change !== 'upsert' || entry.dir) return base;
    const writing = Math.max(
      (entry.lastAt - entry.firstAt) / 2,
      2 * entry.maxGap,
      entry.events >= 3 ? CHUNKED_SETTLE_MS : 0,
    );
    return Math.max(base, Math.min(MAX_SETTLE_MS, writing));
  }

  /** A path may leave up to a quarter of the quiet period late: long quiet periods then mean few wake-ups. */
  #granularityMs(): number {
    return Math.max(1, this.#options.delayMs / 4);
  }

  #dueAt(entry: Entry): number {
    return Math.min(entry.lastAt + this.#settleMs(entry), entry.firstAt + this.#options.maxDelayMs);
  }

  /** Sends every path that has settled by `now` (all of them for Infinity) and re-arms for the rest. */
  #release(now: number): void {
    this.#cancelTimer();
    if (this.#entries.size === 0) return;
    const released: [RelPath, Entry][] = [];
    let next = Infinity;
    // Only what arrived within the last quiet period (plus files still being written) is held, so this scan
    // stays short even in a burst; the timer's granularity below bounds how often it runs.
    for (const [path, entry] of this.#entries) {
      const due = this.#dueAt(entry);
      if (due <= now) released.push([path, entry]);
      else next = Math.min(next, due);
    }
    for (const [path] of released) this.#entries.delete(path);
    const changes = released.length > 0 ? this.#collapse(released) : [];
    if (next !== Infinity) this.#arm(Math.max(next, now + this.#granularityMs()));
    if (changes.length > 0) this.#options.onFlush(changes);
  }

  /**
   * A directory delete swallows the older events below it: among the released paths, and among the paths
   * still held (a file that was being written when its directory went away).
   */
  #collapse(released: [RelPath, Entry][]): PathChange[] {
    const deletedDirs = new Map<RelPath, Entry>();
    for (const [path, entry] of released) if (entry.change === 'delete') deletedDirs.set(path, entry);
    const swallowedBelow = new Map<RelPath, number>();
    const kept: [RelPath, Entry][] = [];
    for (const [path, entry] of released) {
      const by = deletedDirs.size > 0 ? swallowedBy(path, entry.seq, deletedDirs) : null;
      if (by === null) kept.push([path, entry]);
      else if (entry.change === 'delete') swallowedBelow.set(by, (swallowedBelow.get(by) ?? 0) + 1);
    }
    if (deletedDirs.size > 0) {
      for (const [path, entry] of this.#entries) {
        if (swallowedBy(path, entry.seq, deletedDirs) !== null) this.#entries.delete(path);
      }
    }
    return kept.map(([path, entry]) =>
      entry.change === 'delete'
        ? {
            path,
            change: 'delete',
            dir: entry.dir,
            entries: Math.max(entry.entries, 1 + (swallowedBelow.get(path) ?? 0)),
          }
        : { path, change: entry.change, dir: entry.dir },
    );
  }

  /** One timer for everything held, moved earlier when needed, never one per event. */
  #arm(due: number): void {
    if (this.#timer !== null && this.#timerDue <= due) return;
    this.#cancelTimer();
    const clock = this.#options.clock;
    this.#timerDue = due;
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = null;
        this.#timerDue = Infinity;
        this.#release(clock.now());
      },
      Math.max(0, due - clock.now()),
    );
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerDue = Infinity;
  }
}

/** The outermost directory deleted after this entry's last event, which swallows it; null if none. */
function swallowedBy(path: RelPath, seq: number, deleted: Map<RelPath, Entry>): RelPath | null {
  let by: RelPath | null = null;
  for (const dir of ancestors(path)) {
    const entry = deleted.get(dir);
    if (entry !== undefined && entry.seq > seq) by = dir;
  }
  return by;
}
