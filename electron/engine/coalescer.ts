// Coalesces watcher events per path (a Map keyed by path, O(1) per event) and releases each path once it
// has been quiet for a moment: a few milliseconds for a small file, longer for a file that was written to for
// a long time, so that it is sent once, after its last write. Paths that keep changing leave after a maximum
// delay. create+modify+modify becomes one upsert, and a directory delete swallows older events below it.
// A directory that appeared since the last sync gathers what settles below it and leaves as one recursive
// send (fresh-dirs.ts). Batching for throughput happens downstream: a target's queue takes everything released
// while its runs were in flight.
import type { Clock } from './clock.js';
import { ancestors, type RelPath } from './byte-path.js';
import { busyFresh, coverable, FRESH_HOLD_MS, nearestFresh } from './fresh-dirs.js';
import { combine, orphanedDeletion, type Change, type PathChange } from './path-change.js';

export type { Change, PathChange } from './path-change.js';

/**
 * closed: a regular file's writer closed it (IN_CLOSE_WRITE). moved: a rename inside the folder, `from` → `path`
 * (native inotify backend only, see the watcher's `capabilities`).
 */
export type WatchEventKind = 'created' | 'changed' | 'removed' | 'closed' | 'moved';

export interface WatchEvent {
  kind: WatchEventKind;
  path: RelPath;
  /** For 'moved': the old path. */
  from?: RelPath;
  /** For 'changed': content was written (IN_MODIFY) and the writer may still hold the file open; absent for metadata. */
  writing?: boolean;
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
  /**
   * Close-write backends: 'writing' — written since its writer last closed it, held until the close (or
   * maxDelayMs); 'created' — a new file not closed yet, held until its close for at most MAX_SETTLE_MS (a
   * hard link or a symlink never reports one); false — closed, or nothing says it is open.
   */
  open: 'writing' | 'created' | false;
  /** Moved here from this path (a move, or what became of one). */
  from?: RelPath;
  /** A directory that appeared since the last sync (created or moved in): sent recursively (fresh-dirs.ts). */
  fresh: boolean;
  /** A fresh directory that has had an event below it (an empty one waits longer, see #dueAt). */
  filled: boolean;
  /** Every event since its last release changed it where it stood (none created, moved or removed it). */
  inPlace: boolean;
  /** Its content was written since its last release (IN_MODIFY, or a writer closed it), not only its attributes. */
  written: boolean;
}

export interface CoalescerOptions {
  /** Quiet period: a path leaves once it has had no event for this long. */
  delayMs: number;
  /** A path that keeps changing leaves after this long anyway (a log appended forever). */
  maxDelayMs: number;
  clock: Clock;
  onFlush: (changes: PathChange[]) => void;
  /**
   * Every path as it settles, one change each, before new directories gather what lies below them (for
   * listeners that want each path: plugins, the burst check).
   */
  onSettled?: (changes: PathChange[]) => void;
  /**
   * Files that settled having been written where they stood (content written or closed by a writer; not created,
   * moved or removed since their last release): what a hard link's other names share (hard-links.ts). Changes of
   * attributes alone are left out: `ln a b` changes a's (its link count), and so does every new link.
   */
  onChangedInPlace?: (paths: RelPath[]) => void;
  /** How long a new directory may gather what is written below it (default FRESH_HOLD_MS; 0: never). */
  freshHoldMs?: number;
  /**
   * The watcher reports when a writer closes a file (IN_CLOSE_WRITE): a file being written is held until its
   * writer closes it (or maxDelayMs), instead of being judged by its writer's pauses.
   */
  closeWrite?: boolean;
}

/** The longest quiet period a file that was written for a long time may need before it counts as finished. */
export const MAX_SETTLE_MS = 1_000;
/**
 * The least quiet period of a file written in several chunks (3 or more events: created or truncated, then
 * written more than once): its writer may stall between two chunks (disk, CPU) for longer than the few
 * milliseconds after which a file written in one go is sent.
 */
export const CHUNKED_SETTLE_MS = 50;
/** The quiet period of a new directory that has had no event below it yet (see Coalescer#dueAt). */
export const EMPTY_FRESH_SETTLE_MS = 50;

export class Coalescer {
  /** Ordered by each path's last event (an event moves its path to the end). */
  readonly #entries = new Map<RelPath, Entry>();
  /** Paths a move left, until what is held is released: a directory made there replaces the old one. */
  readonly #vacated = new Set<RelPath>();
  /** Held fresh directories, and the settled changes each one parked (its recursive send covers them). */
  readonly #freshHeld = new Set<RelPath>();
  readonly #parked = new Map<RelPath, PathChange[]>();
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

  /** The old paths of the moves still held here (not yet released to the delete guard and the targets). */
  movedFrom(): RelPath[] {
    const from: RelPath[] = [];
    for (const entry of this.#entries.values()) if (entry.from !== undefined) from.push(entry.from);
    return from;
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
    const replacing = event.kind === 'created' && event.dir === true && this.#vacated.delete(event.path);
    const prevChange: PathChange | undefined = previous
      ? {
          path: event.path,
          change: previous.change,
          dir: previous.dir,
          entries: previous.entries,
          ...(previous.from !== undefined ? { from: previous.from } : {}),
        }
      : replacing
        ? { path: event.path, change: 'delete', dir: true }
        : undefined;
    const next: PathChange =
      event.kind === 'removed'
        ? { path: event.path, change: 'delete', dir: event.dir ?? false, entries: event.entries ?? 1 }
        : event.kind === 'moved' && event.from !== undefined
          ? this.#moveFrom(event.from, event.path, event.dir ?? false)
          : { path: event.path, change: 'upsert', dir: event.dir ?? previous?.dir ?? false };
    const combined = combine(prevChange, next);
    const orphan = orphanedDeletion(prevChange, next);
    // With close-write: content written opens the file, its writer's close ends it; a removal forgets it.
    const open =
      event.kind === 'changed' && event.writing === true
        ? 'writing'
        : event.kind === 'closed' || event.kind === 'removed' || event.kind === 'moved'
          ? false
          : event.kind === 'created' && !event.dir && previous?.open !== 'writing'
            ? 'created'
            : (previous?.open ?? false);
    const fresh =
      this.#freshHoldMs() > 0 &&
      combined.change === 'upsert' &&
      combined.dir &&
      combined.from === undefined &&
      (previous ? previous.fresh : event.kind === 'created' && event.dir === true && !replacing);
    const entry: Entry = {
      fresh,
      filled: previous?.filled ?? false,
      change: combined.change,
      dir: combined.dir,
      seq,
      entries: combined.entries ?? 1,
      firstAt,
      lastAt: now,
      maxGap,
      events,
      open,
      inPlace: (previous?.inPlace ?? true) && (event.kind === 'changed' || event.kind === 'closed'),
      written: (previous?.written ?? false) || event.kind === 'closed' || event.writing === true,
      ...(combined.from !== undefined ? { from: combined.from } : {}),
    };
    // Delete first so that the map stays ordered by last event.
    this.#entries.delete(event.path);
    this.#entries.set(event.path, entry);
    if (fresh) this.#freshHeld.add(event.path);
    else if (previous?.fresh) this.#unfresh(event.path);
    // Fresh directories above it stay held while their subtree is busy (up to their hold limit).
    if (this.#freshHeld.size > 0) {
      for (const dir of ancestors(event.path)) {
        const above = this.#freshHeld.has(dir) ? this.#entries.get(dir) : undefined;
        if (above) {
          above.lastAt = now;
          above.filled = true;
        }
      }
    }
    this.#arm(now + Math.max(this.#options.delayMs, this.#granularityMs()));
    // A move onto a name another move had filled: the first old path's copy goes too, unless something new
    // stands at that name already (its own change covers the old copy: a directory made there replaces it).
    if (orphan && !this.#entries.has(orphan.path))
      this.add({ kind: 'removed', path: orphan.path, dir: orphan.dir });
  }

  /**
   * A rename inside the folder: the new path takes over what was pending for the old one. A chain (a → b → c
   * within the quiet period) is one move from the first name; a name created and renamed before it was sent
   * still names its first path, where the target may hold an older copy to use as the basis (or nothing:
   * then it is simply sent).
   */
  #moveFrom(from: RelPath, to: RelPath, dir: boolean): PathChange {
    const pending = this.#entries.get(from);
    this.#entries.delete(from);
    // A new directory moved on before it was sent: the move's recursive send covers what it parked.
    if (pending?.fresh) this.#unfresh(from);
    this.#vacated.add(from);
    const origin = pending?.change === 'delete' ? from : (pending?.from ?? from);
    return { path: to, change: 'move', dir, from: origin };
  }

  /** Turns close-write holding on once the watcher says it reports closes. */
  useCloseWrite(on: boolean): void {
    this.#options.closeWrite = on;
  }

  /** Releases everything now (used on stop, before full syncs and by "sync now"). */
  flush(): void {
    this.#release(Infinity);
  }

  close(): void {
    this.#cancelTimer();
    this.#entries.clear();
    this.#freshHeld.clear();
    this.#parked.clear();
  }

  /** No longer a held fresh directory: what it parked is dropped (deleted with it, or covered by its move). */
  #unfresh(path: RelPath): void {
    this.#freshHeld.delete(path);
    this.#parked.delete(path);
  }

  #freshHoldMs(): number {
    return this.#options.freshHoldMs ?? FRESH_HOLD_MS;
  }

  /**
   * How long a path must be quiet before it leaves. A file that has been written to for a while (a big copy,
   * a download) needs a quiet period that grows with it, half its writing time or twice the longest pause
   * its writer made, up to MAX_SETTLE_MS, so that it is sent once, after its last write, instead of again and
   * again while it grows. (Node reports no close-after-write; the pauses are all there is to go by.)
   */
  #settleMs(entry: Entry): number {
    const base = this.#options.delayMs;
    // Close-write backends say when a file is finished: its close is the signal, not its writer's pauses.
    if (entry.change !== 'upsert' || entry.dir || this.#options.closeWrite) return base;
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
    const latest = entry.firstAt + this.#options.maxDelayMs;
    // A new directory leaves when its subtree has been quiet for the quiet period, or at its hold limit. One
    // that has had no event below it yet waits longer: a "mkdir x; mv a b x/" must leave as one job (the moves
    // first, then x), not as x sent recursively while the moves land in it (their data sent in full).
    if (entry.fresh) {
      const quiet = entry.filled ? this.#options.delayMs : EMPTY_FRESH_SETTLE_MS;
      return Math.min(entry.lastAt + quiet, entry.firstAt + this.#freshHoldMs(), latest);
    }
    // A file still open for writing waits for its writer's close; one kept open for good (a log) leaves after
    // maxDelayMs, and again after each maxDelayMs while it is written.
    if (this.#options.closeWrite && entry.change === 'upsert') {
      if (entry.open === 'writing') return latest;
      if (entry.open === 'created') return Math.min(entry.lastAt + MAX_SETTLE_MS, latest);
    }
    return Math.min(entry.lastAt + this.#settleMs(entry), latest);
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
    // A new directory due while a file below it is still being written waits for it, up to its hold limit.
    let busy: ReadonlySet<RelPath> = new Set();
    const releasedFresh = new Map(released.filter(([, entry]) => entry.fresh));
    const fresh = [...releasedFresh.keys()];
    if (fresh.length > 0) {
      // A file only seen created (found by a listing, or not written yet) does not hold a new directory up: its
      // recursive run sends what it holds, and a write after that reports itself (its directory is watched).
      const holding: RelPath[] = [];
      for (const [path, entry] of this.#entries) if (!onlyCreated(entry)) holding.push(path);
      const split = busyFresh(fresh, holding, (dir) => {
        const entry = releasedFresh.get(dir) as Entry;
        const limit = entry.firstAt + Math.min(this.#freshHoldMs(), this.#options.maxDelayMs);
        if (limit <= now) return false;
        next = Math.min(next, limit);
        return true;
      });
      busy = split.busy;
      const covering = new Set(fresh.filter((dir) => !split.busy.has(dir) && !split.kept.has(dir)));
      if (covering.size > 0) {
        for (const [path, entry] of this.#entries) {
          if (!onlyCreated(entry) || nearestFresh(path, covering, covering) === null) continue;
          this.#entries.delete(path);
          released.push([path, entry]);
        }
      }
      if (split.kept.size > 0) {
        for (let i = released.length - 1; i >= 0; i--) {
          const [path, entry] = released[i] as [RelPath, Entry];
          if (!split.kept.has(path)) continue;
          released.splice(i, 1);
          this.#entries.set(path, entry);
        }
      }
    }
    if (this.#entries.size === 0) this.#vacated.clear();
    this.#reportInPlace(released);
    const settled = released.length > 0 ? this.#collapse(released) : [];
    const freshOut = new Set<RelPath>();
    for (const [path, entry] of released) {
      if (!entry.fresh) continue;
      this.#freshHeld.delete(path);
      if (entry.change === 'upsert') freshOut.add(path);
    }
    const gathering = freshOut.size > 0 || this.#freshHeld.size > 0 || this.#parked.size > 0;
    const changes = gathering ? this.#gather(settled, freshOut, busy) : settled;
    if (next !== Infinity) this.#arm(Math.max(next, now + this.#granularityMs()));
    if (settled.length > 0) this.#options.onSettled?.(settled);
    if (changes.length > 0) this.#options.onFlush(changes);
  }

  /**
   * New directories released now (`released`) become recursive sends unless something below them is still held
   * (`busy`); settled upserts below a held new directory are parked there, those below a released one are
   * covered by it (fresh-dirs.ts).
   */
  #gather(settled: PathChange[], released: ReadonlySet<RelPath>, busy: ReadonlySet<RelPath>): PathChange[] {
    const covering = new Set<RelPath>();
    for (const path of released) if (!busy.has(path)) covering.add(path);
    const out: PathChange[] = [];
    const work = [...settled];
    // What each recursive send covers, in entries: a covered change counts for every new directory above it
    // that is released now (the outermost one is sent), with what it covered itself if it was sent recursively.
    const covers = new Map<RelPath, number>();
    const sends: PathChange[] = [];
    const cover = (change: PathChange): void => {
      for (const dir of ancestors(change.path))
        if (covering.has(dir)) covers.set(dir, (covers.get(dir) ?? 0) + 1 + (change.covers ?? 0));
    };
    for (let i = 0; i < work.length; i++) {
      let change = work[i] as PathChange;
      if (released.has(change.path) && change.change === 'upsert' && change.dir) {
        const parked = this.#parked.get(change.path);
        this.#parked.delete(change.path);
        if (covering.has(change.path)) {
          const sent: PathChange = { ...change, subtree: true };
          sends.push(sent);
          change = sent;
          for (const below of parked ?? []) cover(below);
        } else if (parked) work.push(...parked);
      }
      // The nearest new directory above it decides: released now, it covers it; still held, it parks it.
      const above = coverable(change) ? nearestFresh(change.path, covering, this.#freshHeld) : null;
      if (above !== null && covering.has(above)) {
        cover(change);
        continue;
      }
      if (above !== null) {
        const list = this.#parked.get(above);
        if (list) list.push(change);
        else this.#parked.set(above, [change]);
        continue;
      }
      out.push(change);
    }
    // Counted once every covered change was seen (a send may be parked in turn, in a new directory further up).
    for (const sent of sends) {
      const n = covers.get(sent.path);
      if (n !== undefined) sent.covers = n;
    }
    return out;
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
    const owed: PathChange[] = [];
    for (const [path, entry] of released) {
      const by = deletedDirs.size > 0 ? swallowedBy(path, entry.seq, deletedDirs) : null;
      if (by === null) kept.push([path, entry]);
      // What a swallowed deletion removed adds up (its directory's count left it out when it was reported).
      else if (entry.change === 'delete')
        swallowedBelow.set(by, (swallowedBelow.get(by) ?? 0) + entry.entries);
      // Something moved in from elsewhere and then deleted with its directory: its old path must still go.
      if (by !== null && entry.from !== undefined && swallowedBy(entry.from, entry.seq, deletedDirs) === null)
        owed.push({ path: entry.from, change: 'delete', dir: entry.dir, entries: entry.entries });
    }
    if (deletedDirs.size > 0) {
      for (const [path, entry] of this.#entries) {
        if (swallowedBy(path, entry.seq, deletedDirs) === null) continue;
        this.#entries.delete(path);
        if (entry.fresh) this.#unfresh(path);
      }
    }
    const changes: PathChange[] = kept.map(([path, entry]) =>
      entry.change === 'delete'
        ? {
            path,
            change: 'delete',
            dir: entry.dir,
            // A sum, not the larger of the two: the directory's own count is what the watcher still knew
            // under it when it went, and each deletion reported before it had already left that count.
            entries: entry.entries + (swallowedBelow.get(path) ?? 0),
            ...(entry.from !== undefined ? { from: entry.from } : {}),
          }
        : {
            path,
            change: entry.change,
            dir: entry.dir,
            ...(entry.from !== undefined ? { from: entry.from } : {}),
          },
    );
    return [...changes, ...owed];
  }

  #reportInPlace(released: readonly [RelPath, Entry][]): void {
    if (!this.#options.onChangedInPlace) return;
    const paths: RelPath[] = [];
    for (const [path, entry] of released)
      if (entry.inPlace && entry.written && entry.change === 'upsert' && !entry.dir) paths.push(path);
    if (paths.length > 0) this.#options.onChangedInPlace(paths);
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

/** A file seen created and nothing else yet (close-write backends hold it for a close that may never come). */
function onlyCreated(entry: Entry): boolean {
  return entry.open === 'created' && entry.change === 'upsert' && !entry.dir && entry.from === undefined;
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
