// Picks a watcher backend by name. 'inotify' runs the native backend (one kernel descriptor, close-write, moves,
// overflow, unmount) when its addon loads and the descriptor opens, and the fs.watch backend otherwise; the
// backend's name says which one runs and why (`inotify (fs.watch fallback: <reason>)`).
import type { WatcherBackend } from '../../shared/config.js';
import { ChokidarWatcher } from './chokidar-watcher.js';
import { InotifyWatcher } from './inotify-watcher.js';
import { KernelWatcher } from './kernel-watcher.js';
import { loadNativeInotify, type NativeLoad } from './native-inotify.js';
import type { Watcher, WatcherOptions } from './watcher.js';

export function createWatcher(
  backend: WatcherBackend,
  options: WatcherOptions,
  native: NativeLoad = loadNativeInotify(),
): Watcher {
  if (backend === 'chokidar') return new ChokidarWatcher(options);
  let reason = native.reason;
  if (native.addon) {
    try {
      return new KernelWatcher(native.addon, options);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      reason =
        err.code === 'EMFILE'
          ? `${err.message}: the inotify instance limit was reached (sysctl fs.inotify.max_user_instances)`
          : err.message;
    }
  }
  return new InotifyWatcher(options, `inotify (fs.watch fallback: ${reason})`);
}

/** What `--watcher inotify` runs on this machine, as the backend's name says it (for --help). */
export function inotifyBackendName(native: NativeLoad = loadNativeInotify()): string {
  return native.addon ? 'inotify (native)' : `inotify (fs.watch fallback: ${native.reason})`;
}

export type { Watcher, WatcherCapabilities, WatcherOptions } from './watcher.js';
