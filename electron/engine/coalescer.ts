// Coalesces watcher events per path (a Map keyed by path, O(1) per event) and releases them after a quiet
// period, or after a maximum latency while events keep coming. create+modify+modify becomes one upsert,
// create then delete becomes nothing, and a directory delete swallows older queued events below it.
import type { Clock } from './clock.js';
import { ancestors, type RelPath } from './byte-path.js';

export type WatchEventKind = 'created' | 'changed' | 'removed';

export interface WatchEvent {
  kind: WatchEventKind;
  path: RelPath;
  /** Known to be a directory (created or removed). */
  dir?: boolean;
  /** For a removed directory: the entries it held, itself included, as far as the watcher knew. */
  entries?: number;
}

/** upsert: send what is there; delete: remove it; tree: a directory was replaced, re-send it recursively. */
export type Change = 'upsert' | 'delete' | 'tree';

export interface PathChange {
  path: RelPath;
  change: Change;
  dir: boolean;
  /** For a delete: how many entries it removes (a directory counts its subtree); the delete guard weighs it. */
  entries?: number;
}

interface Entry {
  change: Change;
  /** The path did not exist before this window: a delete cancels it out. */
  created: boolean;
  dir: boolean;
  seq: number;
  entries: number;
}

export interface CoalescerOptions {
  delayMs: number;
  maxDelayMs: number;
  clock: Clock;
  onFlush: (changes: PathChange[]) => void;
}

export class Coalescer {
  readonly #entries = new Map<RelPath, Entry>();
  readonly #options: CoalescerOptions;
  #seq = 0;
  #firstAt = 0;
  #lastAt = 0;
  #timer: unknown = null;

  constructor(options: CoalescerOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(event: WatchEvent): void {
    const now = this.#options.clock.now();
    if (this.#entries.size === 0) this.#firstAt = now;
    this.#lastAt = now;
    const seq = ++this.#seq;
    const previous = this.#entries.get(event.path);
    const dir = event.dir ?? previous?.dir ?? false;
    if (event.kind === 'removed') {
      // Even a name created and removed within the window is deleted on the target: a "created" name may have
      // replaced an existing file (a rename over it), and a full sync may have copied it meanwhile. Deleting a
      // name the target never had costs nothing; keeping a stale one breaks the mirror (found by the churn test).
      this.#entries.set(event.path, {
        change: 'delete',
        created: false,
        dir,
        seq,
        entries: event.entries ?? 1,
      });
    } else if (
      dir &&
      (previous?.change === 'tree' || (previous?.change === 'delete' && event.kind === 'created'))
    ) {
      // A directory deleted and created again within the window was replaced: its old contents must go too.
      this.#entries.set(event.path, { change: 'tree', created: false, dir: true, seq, entries: 1 });
    } else {
      const created = previous ? previous.created : event.kind === 'created';
      this.#entries.set(event.path, {
        change: 'upsert',
        created: previous?.change === 'delete' ? false : created,
        dir,
        seq,
        entries: 1,
      });
    }
    if (this.#entries.size === 0) this.#cancelTimer();
    else this.#arm();
  }

  /** Releases everything now (used on stop and by "sync now"). */
  flush(): void {
    this.#cancelTimer();
    if (this.#entries.size === 0) return;
    const entries = [...this.#entries];
    this.#entries.clear();
    const deletedDirs = new Map<RelPath, Entry>();
    for (const [path, entry] of entries) if (entry.change === 'delete') deletedDirs.set(path, entry);
    const swallowedBelow = new Map<RelPath, number>();
    const kept: [RelPath, Entry][] = [];
    for (const [path, entry] of entries) {
      const by = deletedDirs.size > 0 ? this.#swallowedBy(path, entry.seq, deletedDirs) : null;
      if (by === null) kept.push([path, entry]);
      else if (entry.change === 'delete') swallowedBelow.set(by, (swallowedBelow.get(by) ?? 0) + 1);
    }
    const changes: PathChange[] = kept.map(([path, entry]) =>
      entry.change === 'delete'
        ? {
            path,
            change: 'delete',
            dir: entry.dir,
            entries: Math.max(entry.entries, 1 + (swallowedBelow.get(path) ?? 0)),
          }
        : { path, change: entry.change, dir: entry.dir },
    );
    this.#options.onFlush(changes);
  }

  close(): void {
    this.#cancelTimer();
    this.#entries.clear();
  }

  /** The outermost directory deleted after this entry's last event, which swallows it; null if none. */
  #swallowedBy(path: RelPath, seq: number, deleted: Map<RelPath, Entry>): RelPath | null {
    let by: RelPath | null = null;
    for (const dir of ancestors(path)) {
      const entry = deleted.get(dir);
      if (entry !== undefined && entry.seq > seq) by = dir;
    }
    return by;
  }

  #due(): number {
    return Math.min(this.#lastAt + this.#options.delayMs, this.#firstAt + this.#options.maxDelayMs);
  }

  #arm(): void {
    // One timer for the whole window: re-armed lazily when it fires early, never per event.
    if (this.#timer !== null) return;
    this.#schedule(this.#due());
  }

  #schedule(due: number): void {
    const clock = this.#options.clock;
    this.#timer = clock.setTimeout(() => this.#onTimer(), Math.max(0, due - clock.now()));
  }

  #onTimer(): void {
    this.#timer = null;
    const due = this.#due();
    if (this.#options.clock.now() >= due) this.flush();
    else if (this.#entries.size > 0) this.#schedule(due);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
