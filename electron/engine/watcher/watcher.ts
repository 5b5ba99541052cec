// The watcher interface every backend implements. Events are hints about which paths to look at, never the
// truth about what happened: the batch sends what exists and deletes what does not.
import type { EventEmitter } from 'node:events';
import type { WatchEvent } from '../coalescer.js';
import type { RelPath } from '../byte-path.js';
import type { Clock } from '../clock.js';

export interface WatcherErrorInfo {
  /** unmounted: the folder's (or a watched directory's) file system was unmounted (IN_UNMOUNT). */
  kind: 'watch-limit' | 'watcher' | 'source-missing' | 'unmounted';
  message: string;
}

export interface WatcherEvents {
  event: [WatchEvent];
  error: [WatcherErrorInfo];
  /** The backend could not guarantee coverage (lost watch, overflow): a full sync repairs it. */
  rescan: [reason: string];
}

export interface Watcher extends EventEmitter<WatcherEvents> {
  /** Which backend runs, for the log line and the app, e.g. `inotify` or `inotify (fs.watch fallback: …)`. */
  readonly backend: string;
  /**
   * What the backend can report beyond created/changed/removed: 'closed' events (closeWrite) and 'moved'
   * events (moves). Both need `kernelEvents` in the options; without it they are reported as the basic kinds.
   */
  readonly capabilities: WatcherCapabilities;
  /** Directories currently watched. */
  readonly directories: number;
  /**
   * Entries below the folder (files, links, directories; excluded paths left out) as the walk found them and
   * events kept them since, or null when unknown (a directory could not be watched or listed, the walk is not
   * done, the backend does not count). Lets the delete guard start from the walk's count instead of walking
   * the whole tree a second time.
   */
  entriesBelow?(): number | null;
  /** Resolves when the initial tree is watched; files already present produce no events. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface WatcherOptions {
  /** Absolute folder path as bytes. */
  root: Buffer;
  /** Display form of the folder, for messages. */
  folder: string;
  /** Paths to skip entirely (excluded directories are not watched). */
  ignored: PathFilter;
  /**
   * The engine handles 'closed' and 'moved' events: a backend that can tell them emits them. Otherwise a move is
   * reported as removed + created (a directory's contents as created too) and a close-write as changed.
   */
  kernelEvents?: boolean;
  /** Time source for holding an unpaired IN_MOVED_FROM a moment (native backend). */
  clock?: Clock;
}

export interface WatcherCapabilities {
  closeWrite: boolean;
  moves: boolean;
}

export const BASIC_CAPABILITIES: WatcherCapabilities = Object.freeze({ closeWrite: false, moves: false });

/** Whether a path is excluded: by a rule on the path itself or on any directory above it. */
export interface PathFilter {
  (rel: RelPath): boolean;
  /** The rules on the path alone, not on its ancestors: enough for a walker that never enters an excluded directory. */
  readonly itself?: (rel: RelPath) => boolean;
}

export function sourceMissingMessage(folder: string): string {
  return `the folder ${folder} was removed or moved away: nothing is synced until it is back`;
}

export function watchLimitMessage(folder: string, directories: number): string {
  return (
    `cannot watch ${folder}: the inotify watch limit (fs.inotify.max_user_watches) was reached after ` +
    `${directories} directories. Raise it, e.g. \`sysctl fs.inotify.max_user_watches=${Math.max(524_288, directories * 2)}\` ` +
    `and persist it in /etc/sysctl.d/90-rsync-live.conf; until then this folder is kept in sync by periodic full syncs.`
  );
}
