// The default watcher backend: one kernel inotify watch per directory through Node's non-recursive fs.watch,
// with byte-exact (latin1) names. A directory that appears is watched first and listed second, so files
// written into it before the watch existed are still reported; a directory that leaves takes its watches with
// it. Chosen over chokidar and recursive fs.watch by measurement: see docs/architecture.md.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { absolute, baseName, join, parentOf, ROOT, type RelPath } from '../byte-path.js';
import { watchLimitMessage, type Watcher, type WatcherEvents, type WatcherOptions } from './watcher.js';

interface DirWatch {
  handle: fs.FSWatcher | null;
  children: Set<RelPath>;
  /** Entries directly inside, as last listed and kept roughly current by events (for the delete guard). */
  count: number;
  /** Inode of the directory when it was watched: a different one under the same name means it was replaced. */
  ino: number;
}

const WALK_CONCURRENCY = 16;

export class InotifyWatcher extends EventEmitter<WatcherEvents> implements Watcher {
  readonly backend = 'inotify';
  readonly #options: WatcherOptions;
  readonly #dirs = new Map<RelPath, DirWatch>();
  #closed = false;
  #limitReached = false;
  #reportLimitTimer: NodeJS.Timeout | null = null;

  constructor(options: WatcherOptions) {
    super();
    this.#options = options;
  }

  get directories(): number {
    return this.#dirs.size;
  }

  async start(): Promise<void> {
    await this.#addTree(ROOT, false);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const dir of this.#dirs.values()) dir.handle?.close();
    this.#dirs.clear();
  }

  /** Watches `rel` and everything below it; with `report`, every entry found is reported as created. */
  #addTree(rel: RelPath, report: boolean): Promise<void> {
    const pending: RelPath[] = [rel];
    return new Promise<void>((resolve) => {
      let active = 0;
      // A small pool of walkers keeps several readdir calls in flight on large trees.
      const pump = (): void => {
        while (active < WALK_CONCURRENCY && pending.length > 0 && !this.#closed) {
          const dir = pending.pop() as RelPath;
          active++;
          void this.#visit(dir, report, pending).finally(() => {
            active--;
            pump();
          });
        }
        if (active === 0) resolve();
      };
      pump();
    });
  }

  async #visit(dir: RelPath, report: boolean, pending: RelPath[]): Promise<void> {
    let ino: number;
    try {
      ino = (await fsp.lstat(absolute(this.#options.root, dir))).ino;
    } catch {
      return;
    }
    if (!this.#watchDir(dir, ino)) return;
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = await fsp.readdir(absolute(this.#options.root, dir), {
        withFileTypes: true,
        encoding: 'buffer',
      });
    } catch (error) {
      this.#onListError(dir, error as NodeJS.ErrnoException);
      return;
    }
    const record = this.#dirs.get(dir);
    for (const entry of entries) {
      const child = join(dir, entry.name.toString('latin1'));
      if (this.#options.ignored(child)) continue;
      if (record) record.count++;
      const isDir = entry.isDirectory();
      if (report) this.emit('event', { kind: 'created', path: child, dir: isDir });
      if (isDir) pending.push(child);
    }
  }

  /** Adds one directory watch; false when the directory is gone or cannot be watched. */
  #watchDir(rel: RelPath, ino: number): boolean {
    if (this.#dirs.has(rel)) this.#unwatchTree(rel);
    const record: DirWatch = { handle: null, children: new Set(), count: 0, ino };
    if (!this.#limitReached) {
      try {
        const handle = fs.watch(absolute(this.#options.root, rel), { encoding: 'latin1', persistent: true });
        handle.on('change', (type, name) => this.#onChange(rel, type, name as unknown as string));
        handle.on('error', () => this.#onWatchError(rel));
        record.handle = handle;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return false;
        if (code === 'ENOSPC') {
          this.#limitReached = true;
          this.emit('rescan', 'inotify watch limit reached');
        } else {
          this.emit('error', {
            kind: 'watcher',
            message: `cannot watch ${this.#show(rel)}: ${(error as Error).message}`,
          });
          return false;
        }
      }
    }
    if (record.handle === null) this.#reportLimit();
    this.#dirs.set(rel, record);
    if (rel !== ROOT) this.#dirs.get(parentOf(rel))?.children.add(rel);
    return true;
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

  /** The directory and everything below it, as far as the watches know. */
  #subtreeSize(rel: RelPath): number {
    const record = this.#dirs.get(rel);
    if (!record) return 1;
    let size = 1 + record.count - record.children.size;
    for (const child of record.children) size += this.#subtreeSize(child);
    return size;
  }

  #adjustCount(dir: RelPath, delta: number): void {
    const record = this.#dirs.get(dir);
    if (record) record.count = Math.max(0, record.count + delta);
  }

  #unwatchTree(rel: RelPath): void {
    const record = this.#dirs.get(rel);
    if (!record) return;
    for (const child of record.children) this.#unwatchTree(child);
    record.handle?.close();
    this.#dirs.delete(rel);
    if (rel !== ROOT) this.#dirs.get(parentOf(rel))?.children.delete(rel);
  }

  #onChange(dir: RelPath, type: string, name: string | null): void {
    if (this.#closed) return;
    if (!name) {
      this.emit('rescan', `unnamed event in ${this.#show(dir)}`);
      return;
    }
    const path = join(dir, name);
    if (this.#options.ignored(path)) return;
    if (type === 'change' && !this.#dirs.has(path)) {
      this.emit('event', { kind: 'changed', path });
      return;
    }
    void this.#inspect(path, dir, name);
  }

  /** A name appeared, disappeared or was replaced: look at what is there now. */
  async #inspect(path: RelPath, dir: RelPath, name: string): Promise<void> {
    let stat: fs.Stats | null = null;
    try {
      stat = await fsp.lstat(absolute(this.#options.root, path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        this.emit('event', { kind: 'changed', path });
        return;
      }
    }
    if (this.#closed) return;
    if (stat === null) {
      const wasDir = this.#dirs.has(path);
      const entries = wasDir ? this.#subtreeSize(path) : 1;
      this.#unwatchTree(path);
      this.#adjustCount(dir, -1);
      this.emit('event', { kind: 'removed', path, dir: wasDir, entries });
      // The kernel also names the watched directory itself when it is deleted or moved away.
      if (name === baseName(dir)) await this.#checkSelf(dir);
      return;
    }
    if (!this.#dirs.has(path)) this.#adjustCount(dir, +1);
    if (stat.isDirectory()) {
      const known = this.#dirs.get(path);
      if (known && known.ino === stat.ino) {
        // The same directory reported again (its creation seen both by a scan and by an event).
        this.emit('event', { kind: 'changed', path });
        return;
      }
      // Another directory took this name (the old one was moved away): its old contents must go too.
      if (known) this.emit('event', { kind: 'removed', path, dir: true, entries: this.#subtreeSize(path) });
      this.emit('event', { kind: 'created', path, dir: true });
      await this.#addTree(path, true);
    } else {
      if (this.#dirs.has(path)) this.#unwatchTree(path);
      this.emit('event', { kind: 'created', path, dir: false });
    }
  }

  async #checkSelf(dir: RelPath): Promise<void> {
    try {
      const stat = await fsp.lstat(absolute(this.#options.root, dir));
      if (stat.isDirectory()) return;
    } catch {
      // gone
    }
    if (dir === ROOT) {
      this.emit('error', {
        kind: 'source-missing',
        message: `the folder ${this.#options.folder} was removed or moved away: nothing is synced until it is back`,
      });
      return;
    }
    const entries = this.#subtreeSize(dir);
    this.#unwatchTree(dir);
    this.emit('event', { kind: 'removed', path: dir, dir: true, entries });
  }

  #onWatchError(rel: RelPath): void {
    if (this.#closed) return;
    this.#unwatchTree(rel);
    this.emit('rescan', `lost the watch on ${this.#show(rel)}`);
    void this.#addTree(rel, true);
  }

  #onListError(rel: RelPath, error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      this.#unwatchTree(rel);
      return;
    }
    this.emit('error', {
      kind: 'watcher',
      message: `cannot list ${this.#show(rel)} (${error.code ?? error.message}): its contents are not watched; fix its permissions`,
    });
  }

  #show(rel: RelPath): string {
    return rel === ROOT
      ? this.#options.folder
      : `${this.#options.folder}/${Buffer.from(rel, 'latin1').toString('utf8')}`;
  }
}
