// The native inotify backend: one kernel inotify descriptor for the whole tree (native/inotify, loaded by
// native-inotify.ts), read when the event loop's poller says it is readable. It sees what the kernel sees:
// close-write, moves with their cookie, queue overflow, unmount. Same guarantees as the fs.watch backend
// (inotify-watcher.ts): a directory that appears is watched first and listed second, so files written into it
// before the watch existed are still reported; names are bytes (latin1 strings); excluded directories are not
// watched; a directory replaced under the same name is reported removed + created.
//
// Moves: IN_MOVED_FROM and IN_MOVED_TO with the same cookie are paired within one read batch (the kernel
// queues them back to back); an IN_MOVED_FROM left unpaired at the end of a batch is held until the next
// batch or MOVE_PAIR_MS on the clock (held-moves.ts), then it is a move out of the folder (removed), unless the
// listing of a directory that appeared claims it first: a move into a directory watched only after the move.
// A moved directory keeps its watches (a watch follows the inode): only the records' paths change, nothing is
// listed again.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { absolute, baseName, join, parentOf, ROOT, type RelPath } from '../byte-path.js';
import { systemClock } from '../clock.js';
import { adjustCount, subtreeSize } from './dir-records.js';
import { claimKey, HeldMoves, MOVE_PAIR_MS, type HeldMove as HeldMoveOf } from './held-moves.js';
import { parseEvents, type InotifyAddon, type InotifyEvent, type InotifyHandle } from './native-inotify.js';
import { WatchedTree, type WatchedDir } from './watched-tree.js';
import {
  sourceMissingMessage,
  type Watcher,
  type WatcherCapabilities,
  type WatcherEvents,
  type WatcherOptions,
} from './watcher.js';

/** A directory's record; its watch is the kernel's watch descriptor. */
type DirWatch = WatchedDir<number>;

type HeldMove = HeldMoveOf<DirWatch>;

export { MOVE_PAIR_MS };

export class KernelWatcher extends EventEmitter<WatcherEvents> implements Watcher {
  readonly backend = 'inotify';
  readonly capabilities: WatcherCapabilities = Object.freeze({ closeWrite: true, moves: true });
  readonly #addon: InotifyAddon;
  readonly #handle: InotifyHandle;
  readonly #mask: number;
  readonly #options: WatcherOptions;
  readonly #kernelEvents: boolean;
  readonly #tree: WatchedTree<number>;
  readonly #byWd = new Map<number, DirWatch>();
  readonly #held: HeldMoves<DirWatch>;
  readonly #unmounted = new Set<DirWatch>();
  #rootGone = false;

  /** Opens the descriptor at once: throws (e.g. EMFILE at fs.inotify.max_user_instances) so the caller can fall back. */
  constructor(addon: InotifyAddon, options: WatcherOptions) {
    super();
    this.#addon = addon;
    this.#options = options;
    this.#kernelEvents = options.kernelEvents ?? false;
    this.#held = new HeldMoves<DirWatch>(options.clock ?? systemClock, (expired) => {
      for (const move of expired) this.#onMovedOut(move);
    });
    const c = addon.constants;
    this.#mask =
      c.IN_CREATE |
      c.IN_DELETE |
      c.IN_DELETE_SELF |
      c.IN_MOVE_SELF |
      c.IN_MODIFY |
      c.IN_ATTRIB |
      c.IN_CLOSE_WRITE |
      c.IN_MOVED_FROM |
      c.IN_MOVED_TO |
      c.IN_ONLYDIR |
      c.IN_EXCL_UNLINK;
    this.#handle = addon.open((batch, readError) => this.#onBatch(batch, readError));
    this.#tree = new WatchedTree<number>(options, this, {
      watch: (rel) => {
        const dontFollow = rel === ROOT ? 0 : addon.constants.IN_DONT_FOLLOW;
        return addon.addWatch(this.#handle, absolute(options.root, rel), this.#mask | dontFollow);
      },
      watching: (record) => {
        // The kernel watches inodes: the same directory already known under another name (a move that was not
        // paired) now lives here; its old records go, its subdirectories are watched again from this listing.
        const wd = record.watch as number;
        const other = this.#byWd.get(wd);
        if (other) this.#dropTree(other, true, wd);
        this.#byWd.set(wd, record);
      },
      release: (record) => this.#forget(record, true),
      claim: (path, isDir, parent) => this.#claim(path, isDir, parent),
    });
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
    if (this.#tree.closed) return;
    this.#held.takeAll();
    this.#addon.close(this.#handle); // drops every watch with the descriptor
    this.#byWd.clear();
    this.#tree.close();
  }

  /**
   * Forgets `top` and everything below it. With `rmWatch`, the kernel watches go too (the directories still
   * exist, e.g. moved out of the folder); `keepWd` is a watch that now belongs to another record.
   */
  #dropTree(top: DirWatch, rmWatch: boolean, keepWd = -1): void {
    this.#tree.drop(top, (record) => this.#forget(record, rmWatch, keepWd));
  }

  #forget(record: DirWatch, rmWatch: boolean, keepWd = -1): void {
    const wd = record.watch as number;
    if (this.#byWd.get(wd) === record) this.#byWd.delete(wd);
    if (rmWatch && wd !== keepWd) this.#addon.rmWatch(this.#handle, wd);
  }

  // ---- events -------------------------------------------------------------------------------------------------

  #onBatch(batch: Buffer, readError?: string): void {
    if (this.#tree.closed) return;
    if (readError) this.emit('rescan', `reading inotify events failed (${readError})`);
    const events = parseEvents(batch);
    const movesTo = this.#movesTo(events);
    // Events already handled out of order: IN_MOVED_TOs taken with their IN_MOVED_FROM, held IN_MOVED_FROMs.
    const handled = new Set<number>();
    // Moves held from the previous batch first: their IN_MOVED_TO, if any, is in this one.
    if (this.#held.size > 0) {
      for (const [cookie, from] of this.#held.takeAll()) {
        const at = movesTo.get(cookie) ?? -1;
        if (at >= 0) {
          handled.add(at);
          this.#onMove(from, events[at] as InotifyEvent);
        } else this.#onMovedOut(from);
      }
    }
    const c = this.#addon.constants;
    // This batch's IN_MOVED_FROMs without their IN_MOVED_TO are held before any other event is handled: a
    // directory made earlier in the batch may hold what they moved, its watch added too late for the IN_MOVED_TO
    // (`mkdir archive; mv photos archive/`), and its listing claims them (#claim).
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as InotifyEvent;
      if (!(event.mask & c.IN_MOVED_FROM) || movesTo.has(event.cookie)) continue;
      handled.add(i);
      const from = this.#movedFrom(event);
      if (from) this.#held.hold(event.cookie, from);
    }
    for (let i = 0; i < events.length && !this.#tree.closed; i++) {
      if (handled.has(i)) continue;
      const event = events[i] as InotifyEvent;
      if (event.mask & c.IN_MOVED_FROM) {
        const from = this.#movedFrom(event);
        const at = movesTo.get(event.cookie) as number;
        handled.add(at);
        if (from) this.#onMove(from, events[at] as InotifyEvent);
        continue;
      }
      this.#onEvent(event);
    }
    if (this.#unmounted.size > 0) this.#onUnmount();
  }

  #movedFrom(event: InotifyEvent): HeldMove | null {
    const dir = this.#byWd.get(event.wd);
    if (!dir) return null;
    const isDir = (event.mask & this.#addon.constants.IN_ISDIR) !== 0;
    const record = isDir ? this.#tree.get(join(dir.rel, event.name)) : undefined;
    return { dir, name: event.name, isDir, record };
  }

  /** Where each IN_MOVED_TO of the batch is, by cookie (one pass: a mass move must not cost n² look-ups). */
  #movesTo(events: InotifyEvent[]): Map<number, number> {
    const movedTo = this.#addon.constants.IN_MOVED_TO;
    const at = new Map<number, number>();
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as InotifyEvent;
      if (event.mask & movedTo) at.set(event.cookie, i);
    }
    return at;
  }

  #onEvent(event: InotifyEvent): void {
    const c = this.#addon.constants;
    const { mask } = event;
    if (mask & c.IN_Q_OVERFLOW) {
      this.emit(
        'rescan',
        'the kernel inotify queue overflowed (more events than fs.inotify.max_queued_events): events were lost',
      );
      return;
    }
    const dir = this.#byWd.get(event.wd);
    if (!dir) return; // a watch already dropped
    if (mask & c.IN_UNMOUNT) {
      this.#unmounted.add(dir); // reported once for the topmost directory, at the end of the batch
      return;
    }
    if (mask & c.IN_IGNORED) {
      // The kernel dropped the watch: the directory was deleted or its file system unmounted.
      if (this.#unmounted.has(dir)) return; // reported and dropped at the end of the batch
      if (dir.rel === ROOT) this.#checkRoot();
      if (this.#tree.current(dir)) this.#dropTree(dir, true);
      return;
    }
    if (event.name === '') {
      // About the watched directory itself: its parent's watch reports the same under a name, except for the root.
      if (dir.rel === ROOT && mask & (c.IN_DELETE_SELF | c.IN_MOVE_SELF)) this.#checkRoot();
      return;
    }
    const path = join(dir.rel, event.name);
    if (this.#tree.ignored(path)) return;
    const isDir = (mask & c.IN_ISDIR) !== 0;
    if (mask & c.IN_MOVED_TO) {
      this.#onMovedIn(dir, event.name, isDir); // its IN_MOVED_FROM was not seen: from outside or an excluded name
      return;
    }
    if (mask & c.IN_CREATE) {
      adjustCount(dir, +1);
      if (isDir) this.#dirAppeared(path);
      else this.emit('event', { kind: 'created', path, dir: false });
    }
    if (mask & c.IN_MODIFY) this.emit('event', { kind: 'changed', path, writing: true });
    if (mask & c.IN_ATTRIB)
      this.emit('event', isDir ? { kind: 'changed', path, dir: true } : { kind: 'changed', path });
    // Without kernelEvents a close is not reported at all, as with fs.watch: an extra event would make the
    // coalescer take a small file for one written in chunks and hold it longer.
    if (mask & c.IN_CLOSE_WRITE && !isDir && this.#kernelEvents) this.emit('event', { kind: 'closed', path });
    if (mask & c.IN_DELETE) {
      adjustCount(dir, -1);
      this.#removed(path, isDir, false);
    }
  }

  /** A directory appeared under `path` (created, or moved in): watch it, then report what it holds. */
  #dirAppeared(path: RelPath): void {
    const known = this.#tree.get(path);
    if (known && this.#tree.inode(path) === known.ino) {
      // Already watched: the event was read after a listing had found it. Its contents are reported again, as
      // events read meanwhile (a move of the old directory by that name) may have told the engine otherwise.
      this.emit('event', { kind: 'created', path, dir: true });
      void this.#tree.addTree(path, true, true);
      return;
    }
    if (known) {
      // Another directory took this name: its old contents must go too.
      this.emit('event', { kind: 'removed', path, dir: true, entries: subtreeSize(known) });
      this.#dropTree(known, true);
    }
    this.emit('event', { kind: 'created', path, dir: true });
    void this.#tree.addTree(path, true);
  }

  /** A name left the folder: deleted (its watches are gone with it) or moved out (`rmWatch`: they are not). */
  #removed(path: RelPath, isDir: boolean, rmWatch: boolean): void {
    const known = isDir ? this.#tree.get(path) : undefined;
    const entries = known ? subtreeSize(known) : 1;
    if (known) this.#dropTree(known, rmWatch);
    this.emit('event', { kind: 'removed', path, dir: isDir, entries });
  }

  #onMovedOut(from: HeldMove): void {
    if (this.#tree.closed) return;
    const path = join(from.dir.rel, from.name);
    if (this.#tree.ignored(path)) return;
    adjustCount(from.dir, -1);
    // Another directory took the name meanwhile: #dirAppeared has reported the old one removed already.
    const now = from.isDir ? this.#tree.get(path) : undefined;
    if (now && from.record && now !== from.record) return;
    this.#removed(path, from.isDir, true);
  }

  /**
   * A listing that reports what it finds came upon `path`: was it moved there by a held IN_MOVED_FROM? Its
   * IN_MOVED_TO never came when the directory was watched only after the move (`mkdir archive; mv photos
   * archive/` read in one batch). A directory is claimed when it is the very inode the records knew at the old
   * path (its watches then stay, as for any move), a file by its name alone: either way it is reported moved,
   * not created, so its data is not sent again (the old copy is the basis; rsync checks the content). With no
   * kernelEvents the engine does not take moves: nothing is claimed.
   */
  #claim(path: RelPath, isDir: boolean, parent: DirWatch): boolean {
    if (!this.#kernelEvents || this.#held.size === 0) return false;
    const key = claimKey(isDir, isDir ? this.#tree.inode(path) : baseName(path));
    const from = this.#held.claim(key, (move) => {
      const fromPath = join(move.dir.rel, move.name);
      if (fromPath === path || this.#tree.ignored(fromPath)) return false;
      return !isDir || this.#tree.move(fromPath, path, parent);
    });
    if (!from) return false;
    adjustCount(from.dir, -1);
    this.emit('event', { kind: 'moved', from: join(from.dir.rel, from.name), path, dir: isDir });
    return true;
  }

  #onMovedIn(dir: DirWatch, name: string, isDir: boolean): void {
    const path = join(dir.rel, name);
    adjustCount(dir, +1);
    if (isDir) this.#dirAppeared(path);
    else this.emit('event', { kind: 'created', path, dir: false });
  }

  /** A rename seen on both sides. Either side may be excluded: then it is a move out or a move in. */
  #onMove(from: HeldMove, toEvent: InotifyEvent): void {
    const to = this.#byWd.get(toEvent.wd);
    const fromPath = join(from.dir.rel, from.name);
    if (!to) {
      this.#onMovedOut(from);
      return;
    }
    const toPath = join(to.rel, toEvent.name);
    const fromExcluded = this.#tree.ignored(fromPath);
    const toExcluded = this.#tree.ignored(toPath);
    if (fromExcluded || toExcluded) {
      if (!fromExcluded) this.#onMovedOut(from);
      if (!toExcluded) this.#onMovedIn(to, toEvent.name, from.isDir);
      return;
    }
    adjustCount(from.dir, -1);
    adjustCount(to, +1);
    if (!this.#kernelEvents) {
      // The engine does not handle moves: the old path is removed, the new one created with all it holds.
      this.#movedBasic(fromPath, from.isDir, toPath);
      return;
    }
    if (from.isDir) {
      const moved = this.#tree.move(fromPath, toPath, to);
      this.emit('event', { kind: 'moved', from: fromPath, path: toPath, dir: true });
      if (!moved) void this.#tree.addTree(toPath, true); // not watched yet (still queued): watch and list it there
    } else {
      this.emit('event', { kind: 'moved', from: fromPath, path: toPath, dir: false });
    }
  }

  /** Basic events for a move: removed at the old path, created (with its contents) at the new one. */
  #movedBasic(fromPath: RelPath, isDir: boolean, toPath: RelPath): void {
    if (!isDir) {
      this.emit('event', { kind: 'removed', path: fromPath, dir: false, entries: 1 });
      this.emit('event', { kind: 'created', path: toPath, dir: false });
      return;
    }
    const known = this.#tree.get(fromPath);
    this.emit('event', {
      kind: 'removed',
      path: fromPath,
      dir: true,
      entries: known ? subtreeSize(known) : 1,
    });
    const to = this.#tree.get(parentOf(toPath));
    const moved = to ? this.#tree.move(fromPath, toPath, to) : false;
    this.emit('event', { kind: 'created', path: toPath, dir: true });
    void this.#tree.addTree(toPath, true, moved);
  }

  /**
   * The kernel reports IN_UNMOUNT on every watched directory of the file system, in no particular order: one
   * error for each topmost one. Their watches are gone; the records go with them.
   */
  #onUnmount(): void {
    const unmounted = [...this.#unmounted];
    this.#unmounted.clear();
    const top = unmounted.filter((dir) => {
      for (let up = dir.parent; up; up = up.parent)
        if (this.#unmounted.has(up) || unmounted.includes(up)) return false;
      return this.#tree.current(dir);
    });
    for (const dir of top) {
      if (dir.rel === ROOT) this.#rootGone = true;
      this.#dropTree(dir, false);
      const what =
        dir.rel === ROOT
          ? `the folder ${this.#options.folder}`
          : `${this.#tree.show(dir.rel)} (in ${this.#options.folder})`;
      this.emit('error', {
        kind: 'unmounted',
        message:
          `${what} was unmounted: its file system went away, so nothing there is synced, and nothing is ` +
          'deleted on the targets, until it is mounted again',
      });
    }
  }

  /** The root's own watch reported it deleted or moved: is the folder still there? */
  #checkRoot(): void {
    if (this.#rootGone || this.#tree.closed) return;
    const root = this.#tree.get(ROOT);
    try {
      const stat = fs.statSync(this.#options.root, { throwIfNoEntry: false });
      if (stat?.isDirectory() && root && stat.ino === root.ino) return;
    } catch {
      // gone
    }
    this.#rootGone = true;
    this.emit('error', { kind: 'source-missing', message: sourceMissingMessage(this.#options.folder) });
  }
}
