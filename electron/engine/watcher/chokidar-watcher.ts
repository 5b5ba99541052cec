// The chokidar backend, kept behind the same interface so both can be compared by the same tests. chokidar
// hands out UTF-8 strings, so names that are not valid UTF-8 cannot be reported exactly: the periodic full
// sync covers them. Measured here to miss whole directories created during a burst under CPU load, which is
// why it is not the default (docs/architecture.md).
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { relFromUtf8, type RelPath } from '../byte-path.js';
import {
  BASIC_CAPABILITIES,
  watchLimitMessage,
  type Watcher,
  type WatcherEvents,
  type WatcherOptions,
} from './watcher.js';

export class ChokidarWatcher extends EventEmitter<WatcherEvents> implements Watcher {
  readonly backend = 'chokidar';
  readonly capabilities = BASIC_CAPABILITIES;
  readonly #options: WatcherOptions;
  readonly #rootText: string;
  #watcher: FSWatcher | null = null;
  #dirs = 0;

  constructor(options: WatcherOptions) {
    super();
    this.#options = options;
    this.#rootText = options.root.toString('utf8');
  }

  get directories(): number {
    return this.#dirs;
  }

  #rel(absolutePath: string): RelPath {
    return relFromUtf8(path.relative(this.#rootText, absolutePath));
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      const watcher = watch(this.#rootText, {
        ignoreInitial: true,
        followSymlinks: false,
        persistent: true,
        ignored: (p: string) => {
          const rel = this.#rel(p);
          return rel !== '' && this.#options.ignored(rel);
        },
      });
      this.#watcher = watcher;
      watcher.on('add', (p) => this.emit('event', { kind: 'created', path: this.#rel(p), dir: false }));
      watcher.on('change', (p) => this.emit('event', { kind: 'changed', path: this.#rel(p) }));
      watcher.on('unlink', (p) => this.emit('event', { kind: 'removed', path: this.#rel(p), dir: false }));
      watcher.on('addDir', (p) => {
        this.#dirs++;
        const rel = this.#rel(p);
        if (rel !== '') this.emit('event', { kind: 'created', path: rel, dir: true });
      });
      watcher.on('unlinkDir', (p) => {
        this.#dirs--;
        this.emit('event', { kind: 'removed', path: this.#rel(p), dir: true });
      });
      watcher.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC') {
          this.emit('error', {
            kind: 'watch-limit',
            message: watchLimitMessage(this.#options.folder, this.#dirs),
          });
          this.emit('rescan', 'inotify watch limit reached');
        } else {
          this.emit('error', {
            kind: 'watcher',
            message: `watching ${this.#options.folder} failed: ${(error as Error).message}`,
          });
          this.emit('rescan', 'watcher error');
        }
      });
      // An error before "ready" (e.g. a name chokidar cannot handle) must not leave start() pending forever.
      watcher.once('error', () => resolve());
      watcher.on('ready', () => {
        // chokidar counts the initial directories through addDir only when ignoreInitial is off.
        this.#dirs = Object.keys(watcher.getWatched()).length;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
    this.#watcher = null;
  }
}
