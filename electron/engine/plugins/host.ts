// PluginHost: subscribes to an Engine's `changes` events and feeds each enabled plugin's queue with the paths
// it wants (pair and folder scope, include regexes, change kinds, directories). Optionally waits until the
// pair's targets have sent a batch before its plugins run (sersync ran plugins after rsync). A plugin that
// fails is logged with what to do; it never stops syncing or other plugins.
import path from 'node:path';
import type { EngineEvents } from '../../shared/state.js';
import { CdnRunner } from './cdn.js';
import { CommandRunner } from './command.js';
import type { PluginConfig } from './config.js';
import { HttpRunner } from './http.js';
import { WorkQueue } from './queue.js';
import type { PluginItem, PluginLog, PluginRunner } from './runner.js';
import { SocketRunner } from './socket.js';

type ChangesInfo = EngineEvents['changes'][0];
type ChangesListener = (info: ChangesInfo) => void;

/** The part of the Engine a PluginHost needs. */
export interface ChangeSource {
  on(event: 'changes', listener: ChangesListener): unknown;
  off(event: 'changes', listener: ChangesListener): unknown;
}

export interface PluginHostOptions {
  log: PluginLog;
  /**
   * Resolves once the pair's targets have sent what is queued now (e.g. `(id) => engine.whenIdle(id)`); plugins
   * then run after the sync, as in sersync. Omit to run plugins as soon as changes are seen (plugin-only mode).
   */
  afterSync?: (pairId: string) => Promise<void>;
  /** Longest wait for `afterSync` before plugins run anyway, default 60 s. */
  afterSyncMaxMs?: number;
  /** Most paths held per pair while waiting for its sync, default 100,000 (beyond: dropped and logged). */
  stagedLimit?: number;
  /** Builds a runner; tests replace it. */
  createRunner?: (config: PluginConfig, log: PluginLog) => PluginRunner;
}

interface ActivePlugin {
  config: PluginConfig;
  runner: PluginRunner;
  queue: WorkQueue<PluginItem>;
  include: RegExp[];
  label: string;
}

export function createRunner(config: PluginConfig, log: PluginLog): PluginRunner {
  switch (config.kind) {
    case 'command':
      return new CommandRunner(config, log);
    case 'socket':
      return new SocketRunner(config);
    case 'http':
      return new HttpRunner(config);
    case 'cdn':
      return new CdnRunner(config);
  }
}

/** Full match on the relative path or any of its ancestors (the same rule as the pair's exclude regexes). */
export function compileIncludes(sources: readonly string[]): RegExp[] {
  return sources.map((source) => new RegExp(`^(?:${source})$`, 'u'));
}

export function included(include: readonly RegExp[], rel: string): boolean {
  if (include.length === 0) return true;
  let candidate = rel;
  for (;;) {
    if (include.some((re) => re.test(candidate))) return true;
    const slash = candidate.lastIndexOf('/');
    if (slash <= 0) return false;
    candidate = candidate.slice(0, slash);
  }
}

/** A name sersync never fired plugins for: a file named "4913", starting with "." or ending with "~". */
export function sersyncSkipsName(item: Pick<PluginItem, 'path' | 'dir'>): boolean {
  if (item.dir) return false;
  const name = item.path.slice(item.path.lastIndexOf('/') + 1);
  return name === '4913' || name.startsWith('.') || name.endsWith('~');
}

/** Whether a plugin's include filter lets the item through (on the relative or the absolute path). */
export function includes(config: PluginConfig, include: readonly RegExp[], item: PluginItem): boolean {
  if (config.skipDotFiles && sersyncSkipsName(item)) return false;
  if (config.includeOn === 'absolute')
    return include.length === 0 || include.some((re) => re.test(item.abspath));
  return included(include, item.path);
}

/**
 * The item a plugin sees for one change, or null when the change is outside its scope. Plugins see two kinds:
 * a path to remove, and a path that is there now (the engine's "tree", a replaced directory, is one of those).
 */
export function scopeChange(
  config: PluginConfig,
  pairId: string,
  pairFolder: string,
  change: ChangesInfo['changes'][number],
): PluginItem | null {
  const kind: PluginItem['change'] = change.change === 'delete' ? 'delete' : 'upsert';
  if (config.pairs.length > 0 && !config.pairs.includes(pairId)) return null;
  if (!config.changes.includes(kind)) return null;
  if (change.dir && !config.directories) return null;
  const abspath = path.posix.join(pairFolder, change.path);
  let folder = pairFolder.replace(/\/+$/, '') || '/';
  let rel = change.path;
  if (config.folder !== null) {
    const base = config.folder.replace(/\/+$/, '') || '/';
    const prefix = base === '/' ? '/' : `${base}/`;
    if (!abspath.startsWith(prefix) || abspath === base) return null;
    folder = base;
    rel = abspath.slice(prefix.length);
  }
  return { pairId, folder, path: rel, abspath, change: kind, dir: change.dir };
}

/** At most one line per plugin per interval; the rest is counted and summarized. */
class Throttle {
  #last = 0;
  #suppressed = 0;
  constructor(readonly intervalMs: number) {}
  pass(): { ok: boolean; suppressed: number } {
    const now = Date.now();
    if (now - this.#last < this.intervalMs) {
      this.#suppressed++;
      return { ok: false, suppressed: 0 };
    }
    this.#last = now;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return { ok: true, suppressed };
  }
}

export class PluginHost {
  readonly #source: ChangeSource;
  readonly #options: PluginHostOptions;
  readonly #plugins: ActivePlugin[] = [];
  readonly #staged = new Map<string, { index: number; item: PluginItem }[]>();
  readonly #waiting = new Set<string>();
  readonly #listener: ChangesListener = (info) => this.#onChanges(info);
  #started = false;
  #closed = false;

  constructor(source: ChangeSource, plugins: readonly PluginConfig[], options: PluginHostOptions) {
    this.#source = source;
    this.#options = options;
    const create = options.createRunner ?? createRunner;
    for (const config of plugins) {
      if (!config.enabled) continue;
      const label = `plugin ${config.id}${config.name && config.name !== config.id ? ` (${config.name})` : ''}`;
      const log: PluginLog = (level, message) => options.log(level, `${label}: ${message}`);
      const throttle = new Throttle(5_000);
      const runner = create(config, log);
      const queue = new WorkQueue<PluginItem>({
        concurrency: config.concurrency,
        limit: config.queueLimit,
        retries: config.kind === 'command' ? 0 : config.retries,
        key: (item) => `${item.abspath}\0${item.pairId}`,
        run: (item, signal) => runner.run(item, signal),
        onDrop: (item, message, attempts) => {
          const pass = throttle.pass();
          if (!pass.ok) return;
          const more =
            pass.suppressed > 0 ? ` (and ${pass.suppressed} more failures since the last message)` : '';
          const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
          log('warn', `${message}; gave up on this path${tries}${more}. Syncing continues.`);
        },
        onOverflow: (dropped) =>
          log(
            'warn',
            `queue full (${config.queueLimit} paths waiting): ${dropped} path(s) dropped. The plugin is slower than the change rate: raise its concurrency or queueLimit, or narrow it with include filters. Syncing continues.`,
          ),
        onResume: () => log('info', 'working again'),
      });
      this.#plugins.push({
        config,
        runner,
        queue,
        include: compileIncludes(config.include),
        label,
      });
    }
  }

  get plugins(): readonly PluginConfig[] {
    return this.#plugins.map((p) => p.config);
  }

  start(): void {
    if (this.#started || this.#plugins.length === 0) return;
    this.#started = true;
    this.#source.on('changes', this.#listener);
  }

  #onChanges(info: ChangesInfo): void {
    if (this.#closed) return;
    const perPlugin: PluginItem[][] = this.#plugins.map(() => []);
    for (const change of info.changes) {
      this.#plugins.forEach((plugin, index) => {
        const item = scopeChange(plugin.config, info.pairId, info.folder, change);
        if (item && includes(plugin.config, plugin.include, item)) perPlugin[index]?.push(item);
      });
    }
    if (perPlugin.every((items) => items.length === 0)) return;
    if (!this.#options.afterSync) {
      this.#release(perPlugin);
      return;
    }
    const staged = this.#staged.get(info.pairId) ?? [];
    const limit = this.#options.stagedLimit ?? 100_000;
    let dropped = 0;
    perPlugin.forEach((items, index) => {
      for (const item of items) {
        if (staged.length < limit) staged.push({ index, item });
        else dropped++;
      }
    });
    this.#staged.set(info.pairId, staged);
    if (dropped > 0) {
      this.#options.log(
        'warn',
        `plugins: ${dropped} path(s) of pair ${info.pairId} dropped while waiting for its sync (${limit} already waiting). Syncing continues.`,
      );
    }
    if (!this.#waiting.has(info.pairId)) void this.#waitThenRelease(info.pairId);
  }

  async #waitThenRelease(pairId: string): Promise<void> {
    this.#waiting.add(pairId);
    try {
      for (;;) {
        const batch = this.#staged.get(pairId) ?? [];
        this.#staged.delete(pairId);
        if (batch.length === 0 || this.#closed) return;
        await this.#afterSync(pairId);
        const perPlugin: PluginItem[][] = this.#plugins.map(() => []);
        for (const { index, item } of batch) perPlugin[index]?.push(item);
        this.#release(perPlugin);
      }
    } finally {
      this.#waiting.delete(pairId);
    }
  }

  async #afterSync(pairId: string): Promise<void> {
    // `changes` is emitted just before the pair queues the same paths for its targets: ask once that is done.
    await new Promise((resolve) => setImmediate(resolve));
    const maxMs = this.#options.afterSyncMaxMs ?? 60_000;
    const timer: { handle?: NodeJS.Timeout } = {};
    await Promise.race([
      this.#options.afterSync?.(pairId).catch(() => {}),
      new Promise<void>((resolve) => {
        timer.handle = setTimeout(resolve, maxMs);
        timer.handle.unref();
      }),
    ]);
    clearTimeout(timer.handle);
  }

  #release(perPlugin: PluginItem[][]): void {
    perPlugin.forEach((items, index) => {
      const plugin = this.#plugins[index];
      if (!plugin) return;
      for (const item of items) plugin.queue.push(item);
    });
  }

  /** Resolves when every plugin queue is empty and idle (staged batches included). */
  async whenIdle(): Promise<void> {
    for (;;) {
      await Promise.all(this.#plugins.map((plugin) => plugin.queue.whenDrained()));
      if (this.#waiting.size === 0 && this.#staged.size === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops listening, lets queued work finish for up to `graceMs`, then closes the runners. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#closed) return;
    this.#source.off('changes', this.#listener);
    const deadline = Date.now() + graceMs;
    while (this.#waiting.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.#closed = true;
    await Promise.all(
      this.#plugins.map(async (plugin) => {
        const left = await plugin.queue.close(Math.max(0, deadline - Date.now()));
        if (left > 0)
          this.#options.log('warn', `${plugin.label}: stopped with ${left} path(s) not processed`);
        await plugin.runner.close();
      }),
    );
  }
}
