// The engine's public face: a typed event emitter that starts and stops pairs and reports their state. The
// CLI, the headless server and the Electron main process are thin shells over this class.
import { EventEmitter } from 'node:events';
import type { EngineEvents, EngineState } from '../shared/state.js';
import { systemClock, type Clock } from './clock.js';
import { Pair, type EnginePairConfig, type StartOptions } from './pair.js';
import { PairingStore } from './pairing-store.js';
import { findOverlap } from './target-overlap.js';
import path from 'node:path';
import { join as joinPath, relFromUtf8, ROOT, type RelPath } from './byte-path.js';
import { targetAccess } from './restore/access.js';
import { compareLocal } from './restore/compare.js';
import { restore as restorePaths } from './restore/pull.js';
import { RESTORE_SETTLE_MS } from './restore/quiet-paths.js';
import {
  RestoreError,
  type ProgressListener,
  type RemoteEntry,
  type RestoreRequest,
  type RestoreResult,
  type TargetAccess,
} from './restore/types.js';
import { targetId as targetIdOf } from './target-runner.js';

export interface EngineOptions {
  /** rsync executable (default "rsync" from PATH). */
  rsync?: string;
  clock?: Clock;
  /** Full sync interval for folders the watcher cannot cover (watch limit), default 5 minutes. */
  fallbackFullSyncMs?: number;
  /** Directory for state kept across restarts (unfinished queues); none = memory only. */
  stateDir?: string | null;
  /** Most paths in one rsync run. */
  maxBatch?: number;
  /** Verify bursts of at least this many paths with a full sync once quiet (0 turns it off); default 1000. */
  burstVerifyPaths?: number;
  /** How long a burst must be quiet before it is verified, default 2 s. */
  burstQuietMs?: number;
}

export class Engine extends EventEmitter<EngineEvents> {
  readonly #pairs = new Map<string, Pair>();
  readonly #options: Required<EngineOptions>;
  readonly #pairings: PairingStore;

  constructor(options: EngineOptions = {}) {
    super();
    this.#options = {
      rsync: options.rsync ?? 'rsync',
      clock: options.clock ?? systemClock,
      fallbackFullSyncMs: options.fallbackFullSyncMs ?? 5 * 60_000,
      stateDir: options.stateDir ?? null,
      maxBatch: options.maxBatch ?? 20_000,
      burstVerifyPaths: options.burstVerifyPaths ?? 1_000,
      burstQuietMs: options.burstQuietMs ?? 2_000,
    };
    this.#pairings = new PairingStore(this.#options.stateDir);
  }

  /**
   * Starts a pair. A pair whose folder or targets are wrong still appears, in the error state; so does a pair
   * whose target is the same as, inside or around another pair's target (it does not run: the two would
   * delete each other's files).
   */
  async addPair(config: EnginePairConfig, options: { watch?: boolean } & StartOptions = {}): Promise<void> {
    if (this.#pairs.has(config.id)) throw new Error(`a pair with id "${config.id}" already exists`);
    const overlap = findOverlap(
      config,
      [...this.#pairs.values()].map((pair) => pair.config),
    );
    const pair = new Pair(config, {
      rsync: this.#options.rsync,
      clock: this.#options.clock,
      fallbackFullSyncMs: this.#options.fallbackFullSyncMs,
      maxBatch: this.#options.maxBatch,
      stateDir: this.#options.stateDir,
      pairings: this.#pairings,
      burstVerify: { paths: this.#options.burstVerifyPaths, quietMs: this.#options.burstQuietMs },
      hasListeners: (event) => this.listenerCount(event) > 0,
      emit: (event, ...args) => (this.emit as (name: string, ...rest: unknown[]) => boolean)(event, ...args),
    });
    this.#pairs.set(config.id, pair);
    await pair.start(options.watch ?? true, { ...options, refused: overlap });
  }

  async removePair(id: string): Promise<void> {
    const pair = this.#pairs.get(id);
    if (!pair) return;
    this.#pairs.delete(id);
    await pair.stop();
    this.emit('state', id);
  }

  /** Applies a changed configuration: the pair restarts with it (its start-up sync catches up). */
  async updatePair(config: EnginePairConfig): Promise<void> {
    await this.removePair(config.id);
    await this.addPair(config);
  }

  pairIds(): string[] {
    return [...this.#pairs.keys()];
  }

  pairConfig(id: string): EnginePairConfig | undefined {
    return this.#pairs.get(id)?.config;
  }

  state(): EngineState {
    return { version: 1, pairs: [...this.#pairs.values()].map((pair) => pair.state()) };
  }

  /**
   * The user confirms the deletions the delete guard held back, and the deletion of data a new pair's first
   * sync found on its targets (mirror). False when the pair does not exist or nothing waited.
   */
  async confirmDeletions(pairId: string): Promise<boolean> {
    return (await this.#pairs.get(pairId)?.confirmDeletions()) ?? false;
  }

  /** The user keeps the data a new pair's first sync found on its targets (merge). */
  async keepExisting(pairId: string, targetId?: string): Promise<boolean> {
    return (await this.#pairs.get(pairId)?.keepExisting(targetId)) ?? false;
  }

  /** reason "schedule" applies the pair's fullSync.excludes, as a scheduled full sync does. */
  fullSync(pairId?: string, targetId?: string, reason: 'requested' | 'schedule' = 'requested'): void {
    for (const pair of this.#select(pairId)) pair.fullSync(reason, targetId);
  }

  retryNow(pairId?: string, targetId?: string): void {
    for (const pair of this.#select(pairId)) pair.retryNow(targetId);
  }

  pause(pairId?: string): void {
    for (const pair of this.#select(pairId)) pair.pause();
  }

  resume(pairId?: string): void {
    for (const pair of this.#select(pairId)) pair.resume();
  }

  /** Resolves when everything changed so far has been sent, or its target is failing, paused or stopped. */
  async whenIdle(pairId?: string): Promise<void> {
    await Promise.all(this.#select(pairId).map((pair) => pair.whenIdle()));
  }

  /**
   * How to read one of a pair's targets (browse, search, versions): the first target when `targetId` is not
   * given; undefined when the pair or the target does not exist.
   */
  restoreAccess(pairId: string, targetId?: string): TargetAccess | undefined {
    const config = this.#pairs.get(pairId)?.config;
    if (!config) return undefined;
    const index =
      targetId === undefined
        ? 0
        : config.targets.findIndex((target, i) => targetIdOf(target, i) === targetId);
    const target = config.targets[index];
    return target ? targetAccess(target, config.rsync, this.#options.rsync) : undefined;
  }

  /**
   * Restores paths of a pair from one of its targets into its folder (or `request.to`), while the pair ignores
   * the events of the restored paths (so the restore is neither re-sent nor mirrored back as a deletion) until
   * `settleMs` after it ends on the engine's clock; a restored entry that changed meanwhile is synced then.
   */
  async restore(
    pairId: string,
    request: Omit<RestoreRequest, 'folder'>,
    options: { targetId?: string; onProgress?: ProgressListener; settleMs?: number } = {},
  ): Promise<RestoreResult> {
    const pair = this.#pairs.get(pairId);
    if (!pair)
      throw new RestoreError(
        `no pair "${pairId}": rsync-live run --config lists the pairs it starts`,
        'bad-request',
      );
    const access = this.restoreAccess(pairId, options.targetId);
    if (!access)
      throw new RestoreError(
        `pair "${pairId}" has no target "${options.targetId ?? ''}": pick one of its targets`,
        'bad-request',
      );
    const folder = pair.config.folder;
    const prefix = quietPrefix(folder, request.to);
    const hold = prefix === null ? null : pair.quiet.begin();
    try {
      return await restorePaths({ ...request, folder }, access, options.onProgress, (entries) =>
        hold?.add(entries.map((entry) => ({ ...entry, path: joinPath(prefix ?? ROOT, entry.path) }))),
      );
    } finally {
      hold?.end(options.settleMs ?? RESTORE_SETTLE_MS, (entries) => {
        // An earlier version differs from what the target holds now: the live mirror sends it, once.
        if (request.version !== undefined)
          pair.noteChanged(entries.filter((e) => e.kind !== 'dir').map((e) => e.path));
        else void changedSince(pair.config.folder, entries).then((paths) => pair.noteChanged(paths));
      });
    }
  }

  /** True while a restore into the pair's folder runs or settles (its paths' events are ignored meanwhile). */
  restoring(pairId: string): boolean {
    return this.#pairs.get(pairId)?.quiet.active ?? false;
  }

  /** Stops watching and waits for the runs in flight to finish. */
  async stop(): Promise<void> {
    const pairs = [...this.#pairs.values()];
    this.#pairs.clear();
    await Promise.all(pairs.map((pair) => pair.stop()));
  }

  #select(pairId?: string): Pair[] {
    if (pairId === undefined) return [...this.#pairs.values()];
    const pair = this.#pairs.get(pairId);
    return pair ? [pair] : [];
  }
}

/** Where a restore lands relative to the watched folder ('' = the folder itself), or null when outside it. */
function quietPrefix(folder: string, to: string | undefined): RelPath | null {
  if (to === undefined) return '' as RelPath;
  const rel = path.relative(folder, to);
  if (rel === '') return '' as RelPath;
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return relFromUtf8(rel);
}

/** Restored entries that no longer match the backup copy on disk (changed while their events were ignored). */
async function changedSince(folder: string, entries: RemoteEntry[]): Promise<RelPath[]> {
  const files = entries.filter((entry) => entry.kind !== 'dir');
  const compared = await compareLocal(folder, files).catch(() =>
    files.map((e) => ({ ...e, local: 'differs' as const })),
  );
  return compared.filter((entry) => entry.local !== 'same').map((entry) => entry.path);
}
