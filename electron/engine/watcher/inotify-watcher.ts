// The default watcher backend: one kernel inotify watch per directory through Node's non-recursive fs.watch,
// with byte-exact (latin1) names. A directory that appears is watched first and listed second, so files
// written into it before the watch existed are still reported; a directory that leaves takes its watches with
// it. Chosen over chokidar and recursive fs.watch by measurement: see docs/architecture.md.
//
// Lean on large trees (measured with bench/watcher-startup.ts): the walk and the directory records are
// watched-tree.ts's (shared with the native backend); one listener function serves every watch (the handle
// carries its record); and an event costs at most one lstat, only for names that appeared or disappeared.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { absolute, baseName, join, ROOT, type RelPath } from '../byte-path.js';
import { adjustCount, subtreeSize } from './dir-records.js';
import { WatchedTree, type WatchedDir } from './watched-tree.js';
import {
  BASIC_CAPABILITIES,
  sourceMissingMessage,
  type Watcher,
  type WatcherEvents,
  type WatcherOptions,
} from './watcher.js';

type DirWatch = WatchedDir<Handle>;

/** Where a handle keeps its directory's record, so one listener function serves every handle. */
const RECORD = Symbol('rsync-live.dir-watch');
type Handle = fs.FSWatcher & { [RECORD]?: DirWatch };
type Listener<A extends unknown[]> = (this: Handle, ...args: A) => void;

export class InotifyWatcher extends EventEmitter<WatcherEvents> implements Watcher {
  readonly backend: string;
  readonly capabilities = BASIC_CAPABILITIES;
  readonly #options: WatcherOptions;
  readonly #tree: WatchedTree<Handle>;
  readonly #onHandleChange: Listener<[string, string | null]>;
  readonly #onHandleError: Listener<[]>;

  /** `backend` names it in the log line, e.g. why the native backend is not used. */
  constructor(options: WatcherOptions, backend = 'inotify') {
    super();
    this.backend = backend;
    this.#options = options;
    [this.#onHandleChange, this.#onHandleError] = InotifyWatcher.#listeners(this);
    this.#tree = new WatchedTree<Handle>(options, this, {
      watch: (rel) => {
        const handle: Handle = fs.watch(absolute(options.root, rel), {
          encoding: 'latin1',
          persistent: true,
        });
        handle.on('change', this.#onHandleChange);
        handle.on('error', this.#onHandleError);
        return handle;
      },
      watching: (record) => {
        if (record.watch) record.watch[RECORD] = record;
      },
      release: (record) => record.watch?.close(),
    });
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
    return this.#tree.size;
  }

  entriesBelow(): number | null {
    return this.#tree.entriesBelow();
  }

  start(): Promise<void> {
    return this.#tree.addTree(ROOT, false);
  }

  async close(): Promise<void> {
    for (const dir of this.#tree.records()) dir.watch?.close();
    this.#tree.close();
  }

  #onChange(dir: DirWatch, type: string, name: string | null): void {
    if (this.#tree.closed || dir.watch === null) return;
    if (!name) {
      this.emit('rescan', `unnamed event in ${this.#tree.show(dir.rel)}`);
      return;
    }
    const path = join(dir.rel, name);
    if (this.#tree.ignored(path)) return;
    if (type === 'change' && !this.#tree.get(path)) {
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
    const known = this.#tree.get(path);
    if (stat === undefined) {
      const entries = known ? subtreeSize(known) : 1;
      if (known) this.#tree.drop(known);
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
        this.#tree.drop(known);
      }
      this.emit('event', { kind: 'created', path, dir: true });
      void this.#tree.addTree(path, true);
    } else {
      if (known) this.#tree.drop(known);
      this.emit('event', { kind: 'created', path, dir: false });
    }
  }

  #checkSelf(dir: DirWatch): void {
    if (!this.#tree.current(dir) || this.#tree.inode(dir.rel) !== undefined) return; // gone, replaced, or still there
    if (dir.rel === ROOT) {
      this.emit('error', { kind: 'source-missing', message: sourceMissingMessage(this.#options.folder) });
      return;
    }
    const entries = subtreeSize(dir);
    this.#tree.drop(dir);
    this.emit('event', { kind: 'removed', path: dir.rel, dir: true, entries });
  }

  #onWatchError(dir: DirWatch): void {
    if (this.#tree.closed || !this.#tree.current(dir)) return;
    this.#tree.drop(dir);
    this.emit('rescan', `lost the watch on ${this.#tree.show(dir.rel)}`);
    void this.#tree.addTree(dir.rel, true);
  }
}
