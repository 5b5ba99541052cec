// The directory tree an inotify backend keeps while it watches a folder (inotify-watcher.ts through fs.watch,
// kernel-watcher.ts through the native addon): one record per watched directory, by path, linked to its parent
// and children (dir-records.ts), and the walk that adds directories. A directory is watched first and listed
// second, so files written into it before the watch existed are still found. The walk runs synchronous lstat +
// readdir in slices of SLICE_MS and yields to the event loop between them (a promise per call cost 3-10x more).
// The backend says how one directory is watched and released; this module owns the rest: the records, the walk,
// the entry counts, a moved directory's records, and the messages when a directory cannot be watched or listed
// or the watch limit is reached.
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { absolute, join, parentOf, ROOT, type RelPath } from '../byte-path.js';
import { linkChild, subtree, subtreeSize, unlink, type DirRecord } from './dir-records.js';
import { watchLimitMessage, type WatcherEvents, type WatcherOptions } from './watcher.js';

export interface WatchedDir<W> extends DirRecord<WatchedDir<W>> {
  /** Inode of the directory when it was watched: a different one under the same name means it was replaced. */
  readonly ino: number;
  /** The backend's watch; null once released, or when the watch limit was reached (recorded, not watched). */
  watch: W | null;
}

/** How a backend watches one directory. */
export interface DirWatching<W> {
  /** Starts watching the directory at `rel`; throws the system error (ENOENT, ENOSPC, …) when it cannot. */
  watch(rel: RelPath): W;
  /** A directory is now recorded with its watch (called before it is linked into the tree). */
  watching?(record: WatchedDir<W>): void;
  /** Stops watching the directory of a record being forgotten (its watch is not null). */
  release(record: WatchedDir<W>): void;
  /**
   * A listing that reports its entries found `path` in `parent`: true when the backend reports it itself (as
   * moved there), so it is not reported created (nor, a directory, walked: the backend took its records along).
   */
  claim?(path: RelPath, isDir: boolean, parent: WatchedDir<W>): boolean;
}

/** How long one synchronous stretch of the walk may hold the event loop before yielding. */
const SLICE_MS = 10;

export class WatchedTree<W> {
  readonly #options: WatcherOptions;
  readonly #emitter: EventEmitter<WatcherEvents>;
  readonly #backend: DirWatching<W>;
  readonly #dirs = new Map<RelPath, WatchedDir<W>>();
  /** Directories still to watch and list, newest first; `report` marks those whose entries are reported. */
  readonly #pending: { rel: RelPath; report: boolean; relist: boolean }[] = [];
  #walkScheduled = false;
  #idle: (() => void)[] = [];
  #closed = false;
  /** A directory could not be watched or listed: its contents are missing from the records' counts. */
  #uncounted = false;
  #limitReached = false;
  #reportLimitTimer: NodeJS.Timeout | null = null;
  /** The exclude rules on a path alone: everything looked at here lies in a watched, so included, directory. */
  readonly ignored: (rel: RelPath) => boolean;

  constructor(options: WatcherOptions, emitter: EventEmitter<WatcherEvents>, backend: DirWatching<W>) {
    this.#options = options;
    this.#emitter = emitter;
    this.#backend = backend;
    this.ignored = options.ignored.itself ?? options.ignored;
  }

  get size(): number {
    return this.#dirs.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get(rel: RelPath): WatchedDir<W> | undefined {
    return this.#dirs.get(rel);
  }

  records(): IterableIterator<WatchedDir<W>> {
    return this.#dirs.values();
  }

  /** Whether `record` is still the one recorded at its path (not dropped, not replaced). */
  current(record: WatchedDir<W>): boolean {
    return this.#dirs.get(record.rel) === record;
  }

  /** See Watcher.entriesBelow. */
  entriesBelow(): number | null {
    const root = this.#dirs.get(ROOT);
    if (!root || this.#uncounted || this.#pending.length > 0 || this.#closed) return null;
    return subtreeSize(root) - 1;
  }

  /** Forgets every record; the backend has released its watches (or will, all at once). */
  close(): void {
    this.#closed = true;
    this.#pending.length = 0;
    if (this.#reportLimitTimer) clearTimeout(this.#reportLimitTimer);
    this.#dirs.clear();
    this.#settle();
  }

  /**
   * Watches `rel` and everything below it; with `report`, every entry found is reported as created. With
   * `relist`, a directory already watched is listed again (its entries reported) without a new watch.
   */
  addTree(rel: RelPath, report: boolean, relist = false): Promise<void> {
    this.#pending.push({ rel, report, relist });
    const done = new Promise<void>((resolve) => this.#idle.push(resolve));
    // A directory that appears is watched at once, unless a slice of a larger walk is due anyway.
    if (!this.#walkScheduled) this.#walk();
    return done;
  }

  /** Forgets `top` and everything below it, each watch released by `release` (default: the backend's). */
  drop(top: WatchedDir<W>, release: (record: WatchedDir<W>) => void = this.#backend.release): void {
    unlink(top);
    for (const record of subtree(top)) {
      record.firstChild = null;
      if (record.watch !== null) release(record);
      record.watch = null;
      if (this.#dirs.get(record.rel) === record) this.#dirs.delete(record.rel);
    }
  }

  /**
   * Moves the records of the directory at `fromPath` (and below) to `toPath` under `to`: a kernel watch follows
   * the inode, so only the paths change. False when no record of that directory was there.
   */
  move(fromPath: RelPath, toPath: RelPath, to: WatchedDir<W>): boolean {
    const top = this.#dirs.get(fromPath);
    const replaced = this.#dirs.get(toPath);
    if (replaced && replaced !== top) this.drop(replaced); // an empty directory renamed over
    // Directories queued under the old path are walked under the new one.
    for (const item of this.#pending) {
      if (item.rel === fromPath || item.rel.startsWith(`${fromPath}/`))
        item.rel = (toPath + item.rel.slice(fromPath.length)) as RelPath;
    }
    // Events are read a moment after the fact: the record may be of a newer directory that took the old name
    // meanwhile (then the moved one is watched and listed at its new path instead).
    if (!top || this.inode(toPath) !== top.ino) return false;
    unlink(top);
    const records = subtree(top);
    for (const record of records) if (this.#dirs.get(record.rel) === record) this.#dirs.delete(record.rel);
    for (const record of records) {
      record.rel = (toPath + record.rel.slice(fromPath.length)) as RelPath;
      this.#dirs.set(record.rel, record);
    }
    linkChild(to, top);
    // A directory excluded by its new path (a rule anchored to a place) is no longer watched.
    for (const record of records) {
      if (record !== top && this.#dirs.get(record.rel) === record && this.ignored(record.rel))
        this.drop(record);
    }
    return true;
  }

  /** The inode of the directory at `rel`, or undefined when no directory is there. */
  inode(rel: RelPath): number | undefined {
    try {
      const stat = fs.lstatSync(absolute(this.#options.root, rel), { throwIfNoEntry: false });
      return stat?.isDirectory() ? stat.ino : undefined;
    } catch {
      return undefined;
    }
  }

  /** `rel` as the user reads it, for messages. */
  show(rel: RelPath): string {
    return rel === ROOT
      ? this.#options.folder
      : `${this.#options.folder}/${Buffer.from(rel, 'latin1').toString('utf8')}`;
  }

  /** Watches and lists pending directories until they run out or the slice is used up, then yields. */
  #walk = (): void => {
    this.#walkScheduled = false;
    const end = performance.now() + SLICE_MS;
    let item;
    while (!this.#closed && (item = this.#pending.pop())) {
      this.#visit(item.rel, item.report, item.relist);
      if (this.#pending.length > 0 && performance.now() > end) {
        this.#walkScheduled = true;
        setImmediate(this.#walk);
        return;
      }
    }
    this.#settle();
  };

  #settle(): void {
    if (this.#pending.length > 0 && !this.#closed) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #visit(dir: RelPath, report: boolean, relist: boolean): void {
    const path = absolute(this.#options.root, dir);
    let stat: fs.Stats | undefined;
    try {
      // The folder itself may be a symbolic link to a directory; anything below is watched only as a directory.
      stat = dir === ROOT ? fs.statSync(path) : fs.lstatSync(path, { throwIfNoEntry: false });
    } catch {
      return; // gone, or a parent was replaced by a file meanwhile
    }
    if (!stat?.isDirectory()) return;
    // A directory queued before its parent went away is visited again from the parent if that comes back.
    if (dir !== ROOT && !this.#dirs.has(parentOf(dir))) return;
    let record = this.#dirs.get(dir);
    if (record?.ino !== stat.ino) {
      record = this.#watchDir(dir, stat.ino) ?? undefined;
      if (!record) return;
    } else if (!relist) {
      return; // queued twice (found by a listing and by an event): watched and listed once is enough
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path, { withFileTypes: true, encoding: 'latin1' });
    } catch (error) {
      this.#onListError(record, error as NodeJS.ErrnoException);
      return;
    }
    record.count = 0;
    for (const entry of entries) {
      const child = join(dir, entry.name);
      if (this.ignored(child)) continue;
      record.count++;
      const isDir = entry.isDirectory();
      if (report && this.#backend.claim?.(child, isDir, record)) continue;
      if (report) this.#emitter.emit('event', { kind: 'created', path: child, dir: isDir });
      if (isDir) this.#pending.push({ rel: child, report, relist });
    }
  }

  /** Adds one directory's record and watch; null when the directory is gone or cannot be watched. */
  #watchDir(rel: RelPath, ino: number): WatchedDir<W> | null {
    const old = this.#dirs.get(rel);
    if (old) this.drop(old);
    let watch: W | null = null;
    if (!this.#limitReached) {
      try {
        watch = this.#backend.watch(rel);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        if (code === 'ENOSPC') {
          this.#limitReached = true;
          this.#emitter.emit('rescan', 'inotify watch limit reached');
        } else {
          this.#uncounted = true;
          this.#emitter.emit('error', {
            kind: 'watcher',
            message: `cannot watch ${this.show(rel)}: ${(error as Error).message}`,
          });
          return null;
        }
      }
    }
    const record: WatchedDir<W> = {
      rel,
      ino,
      watch,
      count: 0,
      parent: null,
      firstChild: null,
      prev: null,
      next: null,
    };
    if (watch === null) this.#reportLimit();
    else this.#backend.watching?.(record);
    const parent = rel === ROOT ? null : (this.#dirs.get(parentOf(rel)) ?? null);
    this.#dirs.set(rel, record);
    if (parent) linkChild(parent, record);
    return record;
  }

  /** One message once the walk has counted the directories, not one per failed watch. */
  #reportLimit(): void {
    if (this.#reportLimitTimer) return;
    this.#reportLimitTimer = setTimeout(() => {
      this.#emitter.emit('error', {
        kind: 'watch-limit',
        message: watchLimitMessage(this.#options.folder, this.#dirs.size),
      });
    }, 200);
    this.#reportLimitTimer.unref();
  }

  #onListError(record: WatchedDir<W>, error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      this.drop(record);
      return;
    }
    this.#uncounted = true;
    this.#emitter.emit('error', {
      kind: 'watcher',
      message: `cannot list ${this.show(record.rel)} (${error.code ?? error.message}): its contents are not watched; fix its permissions`,
    });
  }
}
