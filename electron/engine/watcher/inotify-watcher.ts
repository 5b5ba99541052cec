// The default watcher backend: one kernel inotify watch per directory through Node's non-recursive fs.watch,
// with byte-exact (latin1) names. A directory that appears is watched first and listed second, so files
// written into it before the watch existed are still reported; a directory that leaves takes its watches with
// it. Chosen over chokidar and recursive fs.watch by measurement: see docs/architecture.md.
//
// Lean on large trees (measured with bench/watcher-startup.ts): directories are walked with synchronous
// lstat + readdir in slices of a few milliseconds, yielding to the event loop between slices (a promise per
// call cost 3-10x more); one listener function serves every watch (the handle carries its record); a
// directory's record links its parent and its child directories (no Set per directory); and an event costs
// at most one lstat, only for names that appeared or disappeared.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { absolute, baseName, join, parentOf, ROOT, type RelPath } from '../byte-path.js';
import { adjustCount, linkChild, subtree, subtreeSize, unlink, type DirRecord } from './dir-records.js';
import {
  BASIC_CAPABILITIES,
  watchLimitMessage,
  type Watcher,
  type WatcherEvents,
  type WatcherOptions,
} from './watcher.js';

interface DirWatch extends DirRecord<DirWatch> {
  handle: fs.FSWatcher | null;
  /** Inode of the directory when it was watched: a different one under the same name means it was replaced. */
  readonly ino: number;
}

/** Where a handle keeps its directory's record, so one listener function serves every handle. */
const RECORD = Symbol('rsync-live.dir-watch');
type Handle = fs.FSWatcher & { [RECORD]?: DirWatch };
type Listener<A extends unknown[]> = (this: Handle, ...args: A) => void;

/** How long one synchronous stretch of the walk may hold the event loop before yielding. */
const SLICE_MS = 10;

export class InotifyWatcher extends EventEmitter<WatcherEvents> implements Watcher {
  readonly backend: string;
  readonly capabilities = BASIC_CAPABILITIES;
  readonly #options: WatcherOptions;
  /** The exclude rules on a path alone: everything looked at here lies in a watched, so included, directory. */
  readonly #ignored: (rel: RelPath) => boolean;
  readonly #dirs = new Map<RelPath, DirWatch>();
  /** Directories still to watch and list, newest first; `report` marks those whose entries are reported. */
  readonly #pending: { rel: RelPath; report: boolean }[] = [];
  #walkScheduled = false;
  #idle: (() => void)[] = [];
  #closed = false;
  /** A directory could not be watched or listed: its contents are missing from the records' counts. */
  #uncounted = false;
  #limitReached = false;
  #reportLimitTimer: NodeJS.Timeout | null = null;
  readonly #onHandleChange: Listener<[string, string | null]>;
  readonly #onHandleError: Listener<[]>;

  /** `backend` names it in the log line, e.g. why the native backend is not used. */
  constructor(options: WatcherOptions, backend = 'inotify') {
    super();
    this.backend = backend;
    this.#options = options;
    this.#ignored = options.ignored.itself ?? options.ignored;
    [this.#onHandleChange, this.#onHandleError] = InotifyWatcher.#listeners(this);
  }

  /** The two listeners shared by every handle of `watcher`; `this` is the handle that emitted. */
  static #listeners(watcher: InotifyWatcher): [Listener<[string, string | null]>, Listener<[]>] {
    return [
      function (this: Handle, type, name) {
        const record = this[RECORD];
        if (record) watcher.#onChange(record, type, name);
      },
      function (this: Handle) {
        const record = this[RECORD];
        if (record) watcher.#onWatchError(record);
      },
    ];
  }

  get directories(): number {
    return this.#dirs.size;
  }

  entriesBelow(): number | null {
    const root = this.#dirs.get(ROOT);
    if (!root || this.#uncounted || this.#pending.length > 0 || this.#closed) return null;
    return subtreeSize(root) - 1;
  }

  start(): Promise<void> {
    return this.#addTree(ROOT, false);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.length = 0;
    if (this.#reportLimitTimer) clearTimeout(this.#reportLimitTimer);
    for (const dir of this.#dirs.values()) dir.handle?.close();
    this.#dirs.clear();
    this.#settle();
  }

  /** Watches `rel` and everything below it; with `report`, every entry found is reported as created. */
  #addTree(rel: RelPath, report: boolean): Promise<void> {
    this.#pending.push({ rel, report });
    const done = new Promise<void>((resolve) => this.#idle.push(resolve));
    // A directory that appears is watched at once, unless a slice of a larger walk is due anyway.
    if (!this.#walkScheduled) this.#walk();
    return done;
  }

  /** Watches and lists pending directories until they run out or the slice is used up, then yields. */
  #walk = (): void => {
    this.#walkScheduled = false;
    const end = performance.now() + SLICE_MS;
    let item;
    while (!this.#closed && (item = this.#pending.pop())) {
      this.#visit(item.rel, item.report);
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

  #visit(dir: RelPath, report: boolean): void {
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
    // Queued twice (found by a listing and by an event): watched and listed once is enough.
    if (this.#dirs.get(dir)?.ino === stat.ino) return;
    const record = this.#watchDir(dir, stat.ino);
    if (!record) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path, { withFileTypes: true, encoding: 'latin1' });
    } catch (error) {
      this.#onListError(record, error as NodeJS.ErrnoException);
      return;
    }
    for (const entry of entries) {
      const child = join(dir, entry.name);
      if (this.#ignored(child)) continue;
      record.count++;
      const isDir = entry.isDirectory();
      if (report) this.emit('event', { kind: 'created', path: child, dir: isDir });
      if (isDir) this.#pending.push({ rel: child, report });
    }
  }

  /** Adds one directory watch; null when the directory is gone or cannot be watched. */
  #watchDir(rel: RelPath, ino: number): DirWatch | null {
    const old = this.#dirs.get(rel);
    if (old) this.#unwatchTree(old);
    const parent = rel === ROOT ? null : (this.#dirs.get(parentOf(rel)) ?? null);
    const record: DirWatch = {
      rel,
      handle: null,
      ino,
      count: 0,
      parent: null,
      firstChild: null,
      prev: null,
      next: null,
    };
    if (!this.#limitReached) {
      try {
        const handle: Handle = fs.watch(absolute(this.#options.root, rel), {
          encoding: 'latin1',
          persistent: true,
        });
        handle[RECORD] = record;
        handle.on('change', this.#onHandleChange);
        handle.on('error', this.#onHandleError);
        record.handle = handle;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        if (code === 'ENOSPC') {
          this.#limitReached = true;
          this.emit('rescan', 'inotify watch limit reached');
        } else {
          this.#uncounted = true;
          this.emit('error', {
            kind: 'watcher',
            message: `cannot watch ${this.#show(rel)}: ${(error as Error).message}`,
          });
          return null;
        }
      }
    }
    if (record.handle === null) this.#reportLimit();
    this.#dirs.set(rel, record);
    if (parent) linkChild(parent, record);
    return record;
  }

  /** One message once the walk has counted the directories, not one per failed watch. */
  #reportLimit(): void {
    if (this.#reportLimitTimer) return;
    this.#reportLimitTimer = setTimeout(() => {
      this.emit('error', {
        kind: 'watch-limit',
        message: watchLimitMessage(this.#options.folder, this.#dirs.size),
      });
    }, 200);
    this.#reportLimitTimer.unref();
  }

  #unwatchTree(top: DirWatch): void {
    unlink(top);
    for (const record of subtree(top)) {
      record.firstChild = null;
      record.handle?.close();
      record.handle = null;
      if (this.#dirs.get(record.rel) === record) this.#dirs.delete(record.rel);
    }
  }

  #onChange(dir: DirWatch, type: string, name: string | null): void {
    if (this.#closed || dir.handle === null) return;
    if (!name) {
      this.emit('rescan', `unnamed event in ${this.#show(dir.rel)}`);
      return;
    }
    const path = join(dir.rel, name);
    if (this.#ignored(path)) return;
    if (type === 'change' && !this.#dirs.has(path)) {
      this.emit('event', { kind: 'changed', path });
      return;
    }
    this.#inspect(path, dir, name);
  }

  /** A name appeared, disappeared or was replaced: look at what is there now. */
  #inspect(path: RelPath, dir: DirWatch, name: string): void {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(absolute(this.#options.root, path), { throwIfNoEntry: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') {
        this.emit('event', { kind: 'changed', path });
        return;
      }
    }
    const known = this.#dirs.get(path);
    if (stat === undefined) {
      const entries = known ? subtreeSize(known) : 1;
      if (known) this.#unwatchTree(known);
      adjustCount(dir, -1);
      this.emit('event', { kind: 'removed', path, dir: known !== undefined, entries });
      // The kernel also names the watched directory itself when it is deleted or moved away.
      if (name === baseName(dir.rel)) this.#checkSelf(dir);
      return;
    }
    if (!known) adjustCount(dir, +1);
    if (stat.isDirectory()) {
      if (known && known.ino === stat.ino) {
        // The same directory reported again (its creation seen both by a scan and by an event).
        this.emit('event', { kind: 'changed', path });
        return;
      }
      // Another directory took this name (the old one was moved away): its old contents must go too.
      if (known) {
        this.emit('event', { kind: 'removed', path, dir: true, entries: subtreeSize(known) });
        this.#unwatchTree(known);
      }
      this.emit('event', { kind: 'created', path, dir: true });
      void this.#addTree(path, true);
    } else {
      if (known) this.#unwatchTree(known);
      this.emit('event', { kind: 'created', path, dir: false });
    }
  }

  #checkSelf(dir: DirWatch): void {
    if (this.#dirs.get(dir.rel) !== dir) return; // already gone or replaced
    try {
      const stat = fs.lstatSync(absolute(this.#options.root, dir.rel), { throwIfNoEntry: false });
      if (stat?.isDirectory()) return;
    } catch {
      // gone
    }
    if (dir.rel === ROOT) {
      this.emit('error', {
        kind: 'source-missing',
        message: `the folder ${this.#options.folder} was removed or moved away: nothing is synced until it is back`,
      });
      return;
    }
    const entries = subtreeSize(dir);
    this.#unwatchTree(dir);
    this.emit('event', { kind: 'removed', path: dir.rel, dir: true, entries });
  }

  #onWatchError(dir: DirWatch): void {
    if (this.#closed || this.#dirs.get(dir.rel) !== dir) return;
    this.#unwatchTree(dir);
    this.emit('rescan', `lost the watch on ${this.#show(dir.rel)}`);
    void this.#addTree(dir.rel, true);
  }

  #onListError(record: DirWatch, error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      this.#unwatchTree(record);
      return;
    }
    this.#uncounted = true;
    this.emit('error', {
      kind: 'watcher',
      message: `cannot list ${this.#show(record.rel)} (${error.code ?? error.message}): its contents are not watched; fix its permissions`,
    });
  }

  #show(rel: RelPath): string {
    return rel === ROOT
      ? this.#options.folder
      : `${this.#options.folder}/${Buffer.from(rel, 'latin1').toString('utf8')}`;
  }
}
