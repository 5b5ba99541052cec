// Picks a watcher backend by name.
import type { WatcherBackend } from '../../shared/config.js';
import { ChokidarWatcher } from './chokidar-watcher.js';
import { InotifyWatcher } from './inotify-watcher.js';
import type { Watcher, WatcherOptions } from './watcher.js';

export function createWatcher(backend: WatcherBackend, options: WatcherOptions): Watcher {
  return backend === 'chokidar' ? new ChokidarWatcher(options) : new InotifyWatcher(options);
}

export type { Watcher, WatcherOptions } from './watcher.js';
