// One pair: a folder, its watcher and coalescer, and one independent TargetQueue per target. Turns queue
// jobs into rsync runs (argv, file list, password) and reports progress, errors and state to the engine.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';
import type { PairConfig, RsyncOptions, TargetConfig } from '../shared/config.js';
import type {
  BatchSummary,
  DeleteGuardReason,
  DeleteGuardState,
  EngineEvents,
  PairState,
  PairStatus,
  SyncError,
  TargetState,
} from '../shared/state.js';
import { absolute, ancestors, display, type RelPath } from './byte-path.js';
import type { Clock } from './clock.js';
import { Coalescer, type PathChange } from './coalescer.js';
import { compileExcludes, excludeGlobs, literalRsyncPattern, type ExcludeMatcher } from './excludes.js';
import { checkPasswordFile } from './password-file.js';
import { buildArgs, encodeFileList, encodeRules, VERSIONS_DIR } from './rsync/command.js';
import { classifyFailure, type FailureContext } from './rsync/exit-codes.js';
import { pruneBelowDeleted } from './rsync/deletion-list.js';
import type { ServerCapabilities } from './rsync/server-capabilities.js';
import { TargetServer } from './rsync/target-server.js';
import { findRecentlyChanged, RECENT_MS } from './recent-files.js';
import { runRsync, type RunResult } from './rsync/runner.js';
import { failedPaths } from './rsync/failed-paths.js';
import { describeTarget, parseTarget, type Target } from './rsync/target.js';
import { TargetQueue, type Job, type JobOutcome } from './target-queue.js';
import { countEntries, findExcluded } from './tree-walk.js';
import { guardMessage, isMassDelete } from './delete-guard.js';
import { QueueStore } from './queue-store.js';
import { GuardStore } from './guard-store.js';
import { createWatcher, type Watcher } from './watcher/index.js';

export interface EngineTargetConfig extends TargetConfig {
  /** Daemon password held in memory only (the desktop app decrypts it from safeStorage). */
  password?: string;
}

export interface EnginePairConfig extends Omit<PairConfig, 'targets'> {
  targets: EngineTargetConfig[];
}

export interface PairContext {
  rsync: string;
  clock: Clock;
  emit: <K extends keyof EngineEvents>(event: K, ...args: EngineEvents[K]) => void;
  hasListeners: (event: keyof EngineEvents) => boolean;
  /** Periodic full sync interval when the watcher cannot cover the folder (watch limit), in ms. */
  fallbackFullSyncMs: number;
  maxBatch: number;
  /** Where unfinished queues are kept across restarts; null keeps them in memory only. */
  stateDir: string | null;
  /** A burst of at least `paths` paths is verified by a full sync once it has been quiet for `quietMs`. */
  burstVerify: { paths: number; quietMs: number };
}

interface TargetRuntime {
  id: string;
  config: EngineTargetConfig;
  target: Target;
  label: string;
  options: RsyncOptions;
  queue: TargetQueue;
  today: { date: string; files: number; bytes: number };
  current: TargetState['current'];
  configError: SyncError | null;
  store: QueueStore | null;
  /** The target went away (or a transfer broke off) since its last success: resync it fully on return. */
  outage: boolean;
  /** The server's capabilities (probed before the first run, again after an outage) and its sub-path. */
  server: TargetServer;
}

/** How long deleting must pause before held deletions are judged, and the longest they wait while it goes on. */
const DELETE_QUIET_MS = 250;
const DELETE_HOLD_MAX_MS = 2_000;

/**
 * Errors after which the target may hold debris of a broken transfer: a daemon killed mid-file leaves rsync's
 * temporary ".NAME.XXXXXX" file behind, which only a full sync (its --delete) removes.
 */
const OUTAGE_KINDS: ReadonlySet<SyncError['kind']> = new Set([
  'connection-refused',
  'unreachable',
  'timeout',
  'connection-lost',
]);

export function targetId(config: TargetConfig, index: number): string {
  return config.id ?? `t${index + 1}`;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class Pair {
  readonly config: EnginePairConfig;
  readonly #ctx: PairContext;
  readonly #root: Buffer;
  readonly #excluded: ExcludeMatcher;
  readonly #targets: TargetRuntime[] = [];
  readonly #coalescer: Coalescer;
  #watcher: Watcher | null = null;
  #watcherError: SyncError | null = null;
  #cron: Cron | null = null;
  #fallbackTimer: NodeJS.Timeout | null = null;
  #started = false;
  #stopped = false;
  #burstPaths = 0;
  #guard: DeleteGuardState | null = null;
  /** Where a tripped guard survives restarts (null without a state directory). */
  readonly #guardStore: GuardStore | null;
  readonly #heldDeletes = new Map<RelPath, PathChange>();
  /** Targets whose next full sync may delete without limit (the user confirmed). */
  readonly #confirmed = new Set<string>();
  #rootId: { dev: number; ino: number } | null = null;
  #rootTimer: NodeJS.Timeout | null = null;
  #screening: Promise<void> | null = null;
  #screenAgain = false;
  /** Deletions are judged once deleting has paused (see DELETE_QUIET_MS), not one small group at a time. */
  #screenTimer: unknown = null;
  #heldSince = 0;
  readonly #recentDeletes: { at: number; count: number }[] = [];
  #burstTimer: NodeJS.Timeout | null = null;

  constructor(config: EnginePairConfig, ctx: PairContext) {
    this.config = config;
    this.#ctx = ctx;
    this.#root = Buffer.from(config.folder.replace(/\/+$/, '') || '/', 'utf8');
    const versionsRule = config.deletion === 'versions' ? [VERSIONS_DIR] : [];
    this.#excluded = compileExcludes(config.excludes, versionsRule);
    this.#coalescer = new Coalescer({
      delayMs: config.delayMs,
      maxDelayMs: config.maxDelayMs,
      clock: ctx.clock,
      onFlush: (changes) => this.#dispatch(changes),
    });
    config.targets.forEach((targetConfig, index) => this.#addTarget(targetConfig, index));
    this.#guardStore = ctx.stateDir ? new GuardStore(ctx.stateDir, config.folder) : null;
  }

  get id(): string {
    return this.config.id;
  }

  #addTarget(config: EngineTargetConfig, index: number): void {
    const id = targetId(config, index);
    let target: Target;
    let configError: SyncError | null = null;
    try {
      target = parseTarget(config.url);
    } catch (error) {
      target = { kind: 'local', path: '/nonexistent' };
      configError = this.#makeError('bad-config', (error as Error).message);
    }
    const label = configError ? config.url : describeTarget(target);
    const runtime: TargetRuntime = {
      id,
      config,
      target,
      label,
      options: { ...this.config.rsync, ...config.rsync },
      today: { date: day(this.#ctx.clock.now()), files: 0, bytes: 0 },
      current: null,
      configError,
      store: null,
      outage: false,
      server: new TargetServer({
        rsync: this.#ctx.rsync,
        target,
        label,
        deletion: this.config.deletion,
        options: { ...this.config.rsync, ...config.rsync },
        password: config.password ?? null,
        passwordFile: config.passwordFile ?? null,
        log: (level, message) => this.#log(level, message),
      }),
      queue: new TargetQueue({
        concurrency: config.concurrency,
        maxBatch: this.#ctx.maxBatch,
        clock: this.#ctx.clock,
        execute: (job, runId) => this.#execute(runtime, job, runId),
        onChange: () => {
          runtime.store?.changed();
          this.#ctx.emit('state', this.id);
        },
        onError: (error) => {
          if (OUTAGE_KINDS.has(error.kind)) {
            runtime.outage = true;
            // The server may come back as another rsync: probe it again before the next attempt.
            runtime.server.invalidate();
          }
          this.#ctx.emit('failure', { pairId: this.id, targetId: id, error });
          this.#log('error', `${label}: ${error.message}`);
        },
        onRecovered: () => {
          this.#ctx.emit('recovered', { pairId: this.id, targetId: id });
          this.#log('info', `${label}: back in sync`);
          if (runtime.outage) {
            runtime.outage = false;
            // Also proves that nothing was lost while it was away.
            runtime.queue.requestFullSync('after an outage');
          }
        },
      }),
    };
    if (this.#ctx.stateDir && !configError) {
      runtime.store = new QueueStore({
        stateDir: this.#ctx.stateDir,
        folder: this.config.folder,
        target: config.url,
        snapshot: () => runtime.queue.unfinished(),
      });
    }
    this.#targets.push(runtime);
  }

  #makeError(kind: SyncError['kind'], message: string, cls: SyncError['class'] = 'config'): SyncError {
    const at = new Date(this.#ctx.clock.now()).toISOString();
    return { kind, class: cls, message, exitCode: null, since: at, at, attempts: 1, nextRetryAt: null };
  }

  #log(level: 'info' | 'warn' | 'error', message: string): void {
    this.#ctx.emit('log', { level, pairId: this.id, message });
  }

  /** Checks the folder and targets, starts watching, then queues the start-up full sync per target. */
  async start(watch = true, options: { confirmDeletions?: boolean } = {}): Promise<void> {
    if (options.confirmDeletions) for (const runtime of this.#targets) this.#confirmed.add(runtime.id);
    const folderProblem = await this.#checkFolder();
    if (folderProblem) {
      this.#watcherError = this.#makeError(folderProblem.kind, folderProblem.message);
      this.#ctx.emit('failure', { pairId: this.id, targetId: null, error: this.#watcherError });
      this.#log('error', folderProblem.message);
      this.#ctx.emit('state', this.id);
      return;
    }
    for (const runtime of this.#targets) {
      if (runtime.configError) continue;
      const problem = await this.#checkTarget(runtime);
      if (problem) runtime.configError = this.#makeError('bad-config', problem);
    }
    for (const runtime of this.#targets) {
      if (runtime.configError) {
        this.#ctx.emit('failure', { pairId: this.id, targetId: runtime.id, error: runtime.configError });
        this.#log('error', runtime.configError.message);
      }
    }
    await this.#restoreGuard(options.confirmDeletions ?? false);
    if (watch) await this.#startWatcher();
    if (watch && this.config.deleteGuard.enabled && this.config.deletion !== 'keep') this.#watchRoot();
    this.#started = true;
    for (const runtime of this.#targets) {
      if (this.config.paused) runtime.queue.pause();
      const resumed = runtime.configError ? [] : ((await runtime.store?.load()) ?? []);
      if (resumed.length > 0) {
        this.#log(
          'info',
          `${runtime.label}: resuming ${resumed.length} unfinished path(s) from the last run`,
        );
        runtime.queue.enqueue(resumed);
      }
      if (!runtime.configError && (this.config.fullSync.onStart || !watch))
        runtime.queue.requestFullSync('start-up');
      runtime.queue.markStarted();
    }
    if (watch && this.config.fullSync.schedule) {
      this.#cron = new Cron(this.config.fullSync.schedule, { protect: true }, () =>
        this.fullSync('schedule'),
      );
    }
    this.#ctx.emit('state', this.id);
  }

  async #startWatcher(): Promise<void> {
    this.#watcher = createWatcher(this.config.watcher, {
      root: this.#root,
      folder: this.config.folder,
      ignored: this.#excluded,
    });
    this.#watcher.on('event', (event) => this.#coalescer.add(event));
    this.#watcher.on('rescan', (reason) => this.fullSync(`watcher: ${reason}`));
    this.#watcher.on('error', (info) => {
      this.#watcherError = this.#makeError(
        info.kind,
        info.message,
        info.kind === 'watcher' ? 'transient' : 'config',
      );
      this.#ctx.emit('failure', { pairId: this.id, targetId: null, error: this.#watcherError });
      this.#log('error', info.message);
      if (info.kind === 'watch-limit') this.#startFallback();
      if (info.kind === 'source-missing') this.#trip('folder-missing');
      this.#ctx.emit('state', this.id);
    });
    await this.#watcher.start();
    this.#log(
      'info',
      `watching ${this.config.folder} (${this.#watcher.directories} directories, ${this.#watcher.backend})`,
    );
  }

  async #checkFolder(): Promise<{ kind: SyncError['kind']; message: string } | null> {
    const folder = this.config.folder;
    if (!path.isAbsolute(folder)) {
      return {
        kind: 'bad-config',
        message: `folder ${folder} is not an absolute path: give the full path, e.g. ${path.resolve(folder)}`,
      };
    }
    try {
      const stat = await fs.stat(folder);
      this.#rootId = { dev: stat.dev, ino: stat.ino };
      if (!stat.isDirectory())
        return {
          kind: 'bad-config',
          message: `folder ${folder} is a file, not a directory: pick a directory`,
        };
    } catch (error) {
      return {
        kind: 'source-missing',
        message: `folder ${folder} does not exist (${(error as NodeJS.ErrnoException).code}): create it or fix the pair's folder`,
      };
    }
    return null;
  }

  async #checkTarget(runtime: TargetRuntime): Promise<string | null> {
    const { target, config } = runtime;
    if (config.passwordFile) {
      try {
        await checkPasswordFile(config.passwordFile);
      } catch (error) {
        return `${runtime.label}: ${(error as Error).message}`;
      }
    }
    if (target.kind === 'local') {
      const folder = path.resolve(this.config.folder);
      const dest = path.resolve(target.path);
      if (dest === folder || dest.startsWith(`${folder}/`)) {
        return `target ${target.path} is inside the folder ${this.config.folder}: that would copy the backup into itself; pick a directory outside it`;
      }
    }
    return null;
  }

  #startFallback(): void {
    if (this.#fallbackTimer) return;
    this.#fallbackTimer = setInterval(
      () => this.fullSync('periodic full sync (watch limit)'),
      this.#ctx.fallbackFullSyncMs,
    );
    this.#fallbackTimer.unref();
  }

  #dispatch(changes: PathChange[]): void {
    this.#noteBurst(changes.length);
    if (changes.length > 0 && this.#ctx.hasListeners('changes')) {
      this.#ctx.emit('changes', {
        pairId: this.id,
        folder: this.config.folder,
        changes: changes.map((c) => ({ path: display(c.path), change: c.change, dir: c.dir })),
      });
    }
    const deletes = this.config.deletion === 'keep' ? [] : changes.filter((c) => c.change === 'delete');
    this.#enqueue(this.#supersedeHeld(changes.filter((c) => c.change !== 'delete')));
    if (deletes.length === 0) return;
    if (!this.config.deleteGuard.enabled) {
      this.#enqueue(deletes);
      return;
    }
    this.#hold(deletes);
    if (!this.#guard) this.#screenWhenQuiet();
  }

  /**
   * A name that is back (created again, renamed over) while its deletion is still held must not be deleted
   * when the hold ends: the held deletion goes. A directory at a name that was deleted is a replacement: what
   * the old one held must go, so it is re-sent whole (a tree change).
   */
  #supersedeHeld(changes: PathChange[]): PathChange[] {
    if (this.#heldDeletes.size === 0) return changes;
    return changes.map((change) => {
      const held = this.#heldDeletes.get(change.path);
      if (!held) return change;
      this.#heldDeletes.delete(change.path);
      return change.dir && change.change === 'upsert' ? { ...change, change: 'tree' } : change;
    });
  }

  #enqueue(changes: PathChange[]): void {
    if (changes.length === 0) return;
    for (const runtime of this.#targets) if (!runtime.configError) runtime.queue.enqueue(changes);
  }

  #hold(deletes: PathChange[]): void {
    let dirs = false;
    for (const change of deletes) {
      this.#heldDeletes.set(change.path, change);
      dirs ||= change.dir;
    }
    // What was deleted below a deleted directory is covered by it: one entry each, counted into the directory
    // (whose own count may already hold them, when it went in one go, or not, after an rm -rf that reported
    // its contents first).
    if (dirs) {
      const below = new Map<RelPath, number>();
      for (const [path, change] of this.#heldDeletes) {
        let cover: RelPath | null = null;
        for (const dir of ancestors(path)) if (this.#heldDeletes.get(dir)?.dir) cover = dir;
        if (cover === null) continue;
        this.#heldDeletes.delete(path);
        below.set(cover, (below.get(cover) ?? 0) + (change.entries ?? 1));
      }
      for (const [dir, count] of below) {
        const held = this.#heldDeletes.get(dir);
        if (held) this.#heldDeletes.set(dir, { ...held, entries: Math.max(held.entries ?? 1, 1 + count) });
      }
    }
    this.#ctx.emit('state', this.id);
  }

  #heldEntries(): number {
    let held = 0;
    for (const change of this.#heldDeletes.values()) held += change.entries ?? 1;
    return held;
  }

  /**
   * One `rm -rf` arrives as many small groups of deletions (paths leave the coalescer one by one): judging
   * each group alone would let the first ones through before the total looks like a mass delete. So they
   * wait until deleting has paused for DELETE_QUIET_MS, or until minEntries of them have piled up, or at
   * most DELETE_HOLD_MAX_MS.
   */
  #screenWhenQuiet(): void {
    const clock = this.#ctx.clock;
    const now = clock.now();
    if (this.#screenTimer === null) this.#heldSince = now;
    else clock.clearTimeout(this.#screenTimer);
    this.#screenTimer = null;
    const full = this.#heldEntries() >= this.config.deleteGuard.minEntries;
    if (full || now - this.#heldSince >= DELETE_HOLD_MAX_MS) {
      void this.#screenSoon();
      return;
    }
    this.#screenTimer = clock.setTimeout(() => {
      this.#screenTimer = null;
      void this.#screenSoon();
    }, DELETE_QUIET_MS);
  }

  #screenSoon(): Promise<void> {
    if (this.#screening) {
      this.#screenAgain = true;
      return this.#screening;
    }
    this.#screening = this.#screenDeletes()
      .catch(() => undefined)
      .finally(() => {
        this.#screening = null;
        if (this.#screenAgain && !this.#guard) {
          this.#screenAgain = false;
          void this.#screenSoon();
        }
      });
    return this.#screening;
  }

  /**
   * Deletions wait here for a moment before they go out: is the folder still there, the same directory and not
   * empty, and do the deletions of the last minute stay below the guard's share of what it holds?
   */
  async #screenDeletes(): Promise<void> {
    const problem = await this.#rootProblem();
    if (this.#guard || this.#stopped) return;
    if (problem) {
      this.#trip(problem);
      return;
    }
    const now = this.#ctx.clock.now();
    while (this.#recentDeletes.length > 0 && (this.#recentDeletes[0]?.at ?? now) < now - 60_000)
      this.#recentDeletes.shift();
    const recent = this.#recentDeletes.reduce((sum, entry) => sum + entry.count, 0);
    // Only what is judged here is released: deletions held while the folder is being counted wait for the
    // next round, where they are judged together with these (counted as recent).
    const judged = new Map(this.#heldDeletes);
    const held = this.#heldEntries();
    if (held + recent >= this.config.deleteGuard.minEntries) {
      const remaining = await countEntries(this.#root, this.#excluded);
      if (this.#guard || this.#stopped) return;
      if (isMassDelete(held + recent, remaining, this.config.deleteGuard)) {
        this.#trip('mass-delete', `${held + recent} of ${held + recent + remaining} entries of`);
        return;
      }
    }
    const release: PathChange[] = [];
    for (const [path, change] of judged) {
      if (this.#heldDeletes.get(path) !== change) continue; // superseded or re-counted meanwhile
      this.#heldDeletes.delete(path);
      release.push(change);
    }
    this.#recentDeletes.push({ at: now, count: held });
    this.#enqueue(release);
    if (this.#heldDeletes.size > 0) this.#screenAgain = true;
  }

  async #rootProblem(): Promise<DeleteGuardReason | null> {
    let stat;
    try {
      stat = await fs.stat(this.config.folder);
    } catch {
      return 'folder-missing';
    }
    const id = this.#rootId;
    if (id && (stat.dev !== id.dev || stat.ino !== id.ino)) return 'folder-replaced';
    const names = await fs.readdir(this.config.folder).catch(() => []);
    return names.length === 0 ? 'folder-empty' : null;
  }

  /** Every few seconds: is the folder still the same directory (not unmounted, renamed or replaced)? */
  #watchRoot(): void {
    this.#rootTimer = setInterval(() => {
      fs.stat(this.config.folder).then(
        (stat) => {
          const id = this.#rootId;
          if (id && (stat.dev !== id.dev || stat.ino !== id.ino)) this.#trip('folder-replaced');
        },
        () => this.#trip('folder-missing'),
      );
    }, 2_000);
    this.#rootTimer.unref();
  }

  /** A guard tripped before a restart stays tripped until the user confirms (or starts with --confirm-deletions). */
  async #restoreGuard(confirmed: boolean): Promise<void> {
    if (!this.#guardStore || !this.config.deleteGuard.enabled || this.config.deletion === 'keep') return;
    if (confirmed) {
      await this.#guardStore.save(null);
      return;
    }
    const kept = await this.#guardStore.load();
    if (!kept) return;
    this.#guard = { ...kept, held: 0 };
    this.#ctx.emit('failure', {
      pairId: this.id,
      targetId: null,
      error: { ...this.#makeError('delete-guard', kept.message), since: kept.since },
    });
    this.#log('error', `still paused since ${kept.since} (before this start): ${kept.message}`);
  }

  #trip(reason: DeleteGuardReason, detail = ''): void {
    if (this.#guard || this.#stopped || this.config.deletion === 'keep' || !this.config.deleteGuard.enabled)
      return;
    const message = guardMessage(reason, this.config.folder, detail);
    const since = new Date(this.#ctx.clock.now()).toISOString();
    this.#guard = { reason, message, since, held: 0 };
    void this.#guardStore?.save({ reason, message, since });
    // Deletions already queued for the targets are held too.
    for (const runtime of this.#targets) this.#hold(runtime.queue.takeDeletes());
    this.#ctx.emit('failure', {
      pairId: this.id,
      targetId: null,
      error: this.#makeError('delete-guard', message),
    });
    this.#log('error', message);
    this.#ctx.emit('state', this.id);
  }

  get deleteGuard(): DeleteGuardState | null {
    return this.#guard;
  }

  /** The user confirmed: send the held deletions and let the next full sync delete without limit. */
  confirmDeletions(): { restart: boolean } {
    const reason = this.#guard?.reason ?? null;
    this.#guard = null;
    void this.#guardStore?.save(null);
    for (const runtime of this.#targets) this.#confirmed.add(runtime.id);
    const release = [...this.#heldDeletes.values()];
    this.#heldDeletes.clear();
    this.#enqueue(release);
    if (reason !== null) {
      this.#ctx.emit('recovered', { pairId: this.id, targetId: null });
      this.#log('info', `deletions confirmed: ${release.length} held deletion(s) sent`);
    }
    const restart = reason === 'folder-missing' || reason === 'folder-replaced';
    // The confirmed full sync makes every target mirror the folder as it is now (a restart runs its own).
    if (!restart) this.fullSync('deletions confirmed');
    this.#ctx.emit('state', this.id);
    return { restart };
  }

  /**
   * Events are hints: after a burst (many paths in a short time) has been quiet for a moment, one full sync
   * proves the target complete, whatever the watcher may have missed (kernel queue overflow, a backend gap).
   */
  #noteBurst(paths: number): void {
    if (this.#ctx.burstVerify.paths <= 0) return;
    this.#burstPaths += paths;
    if (this.#burstPaths < this.#ctx.burstVerify.paths) return;
    if (this.#burstTimer) clearTimeout(this.#burstTimer);
    this.#burstTimer = setTimeout(() => {
      this.#burstTimer = null;
      this.#burstPaths = 0;
      this.fullSync('verify after burst');
    }, this.#ctx.burstVerify.quietMs);
    this.#burstTimer.unref();
  }

  fullSync(reason: string, targetId?: string): void {
    if (!this.#started || this.#stopped) return;
    this.#coalescer.flush();
    for (const runtime of this.#targets) {
      if (runtime.configError) continue;
      if (targetId === undefined || runtime.id === targetId) runtime.queue.requestFullSync(reason);
    }
  }

  retryNow(targetId?: string): void {
    for (const runtime of this.#targets) {
      if (targetId !== undefined && runtime.id !== targetId) continue;
      runtime.queue.retryNow();
    }
  }

  pause(): void {
    for (const runtime of this.#targets) runtime.queue.pause();
  }

  resume(): void {
    for (const runtime of this.#targets) runtime.queue.resume();
  }

  /** Resolves when every event so far has been sent (or its target is failing, paused or stopped). */
  async whenIdle(): Promise<void> {
    this.#coalescer.flush();
    if (this.#screenTimer !== null) {
      this.#ctx.clock.clearTimeout(this.#screenTimer);
      this.#screenTimer = null;
      void this.#screenSoon();
    }
    while (this.#screening) await this.#screening;
    await Promise.all(this.#targets.map((runtime) => runtime.queue.whenIdle()));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cron?.stop();
    if (this.#burstTimer) clearTimeout(this.#burstTimer);
    if (this.#fallbackTimer) clearInterval(this.#fallbackTimer);
    if (this.#rootTimer) clearInterval(this.#rootTimer);
    if (this.#screenTimer !== null) this.#ctx.clock.clearTimeout(this.#screenTimer);
    await this.#watcher?.close();
    this.#coalescer.flush();
    await Promise.all(this.#targets.map((runtime) => runtime.queue.close()));
    await Promise.all(this.#targets.map((runtime) => runtime.store?.save()));
    await this.#guardStore?.whenWritten();
  }

  /** Pending paths per target, for persistence and diagnostics. */
  pendingPaths(): Map<string, RelPath[]> {
    return new Map(this.#targets.map((runtime) => [runtime.id, runtime.queue.pendingPaths()]));
  }

  state(): PairState {
    const targets = this.#targets.map((runtime) => this.#targetState(runtime));
    return {
      id: this.id,
      name: this.config.name ?? path.basename(this.config.folder),
      folder: this.config.folder,
      status: this.#status(targets),
      deletion: this.config.deletion,
      deleteGuard: this.#guard ? { ...this.#guard, held: this.#heldDeletes.size } : null,
      watcher: {
        backend: this.#watcher?.backend ?? this.config.watcher,
        directories: this.#watcher?.directories ?? 0,
        ready: this.#started,
        error: this.#watcherError,
      },
      targets,
    };
  }

  #status(targets: TargetState[]): PairStatus {
    if (this.#guard) return 'error';
    if (this.#watcherError && this.#watcherError.class === 'config') return 'error';
    if (targets.some((t) => t.status === 'error' || t.status === 'stopped')) return 'error';
    if (!this.#started && !this.#watcherError) return 'starting';
    if (targets.length > 0 && targets.every((t) => t.status === 'paused')) return 'paused';
    if (targets.some((t) => t.status === 'syncing' || t.status === 'starting')) return 'syncing';
    return 'idle';
  }

  #targetState(runtime: TargetRuntime): TargetState {
    const queue = runtime.queue;
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return {
      id: runtime.id,
      url: runtime.config.url,
      kind: runtime.target.kind,
      status: runtime.configError ? 'stopped' : queue.status,
      queued: queue.queued,
      inFlight: queue.inFlight,
      runs: queue.runs,
      fullSyncRunning: queue.fullSyncRunning,
      lastSuccessAt: iso(queue.lastSuccessAt),
      lastFullSyncAt: iso(queue.lastFullSyncAt),
      error: runtime.configError ?? queue.error,
      today: { ...runtime.today },
      current: runtime.current,
    };
  }

  /** A queue job: flat paths in one rsync run, replaced directories (tree changes) recursively in another. */
  async #execute(runtime: TargetRuntime, job: Job, runId: number): Promise<JobOutcome> {
    // What this target's server accepts (probed before its first run and after an outage; sub-path made).
    const prepared = await runtime.server.prepare();
    if (!prepared.ok) return this.#notPrepared(runtime, prepared.result, prepared.refused);
    const caps = prepared.capabilities;
    if (job.kind === 'full') {
      const started = this.#ctx.clock.now();
      const outcome = await this.#run(runtime, job, runId, caps);
      if (!outcome.ok || caps.modifyWindowNs) return outcome;
      // No --modify-window=-1 (rsync 3.1.2): files changed in the seconds before this sync are sent again by
      // content, in case the server's copy has the same size and the same whole-second mtime.
      const recent = await findRecentlyChanged(this.#root, this.#excluded, started - RECENT_MS);
      if (recent.length === 0) return outcome;
      const changes = recent.map((p): PathChange => ({ path: p, change: 'upsert', dir: false }));
      return this.#run(runtime, { kind: 'paths', changes }, runId, caps);
    }
    const trees = job.changes.filter((c) => c.change === 'tree');
    if (trees.length === 0) return this.#run(runtime, { kind: 'paths', changes: job.changes }, runId, caps);
    const flat = job.changes.filter((c) => c.change !== 'tree');
    if (flat.length > 0) {
      const outcome = await this.#run(runtime, { kind: 'paths', changes: flat }, runId, caps);
      if (!outcome.ok) return { ...outcome, retry: [...(outcome.retry ?? flat), ...trees] };
    }
    const outcome = await this.#run(runtime, { kind: 'tree', changes: trees }, runId, caps);
    if (outcome.ok) return outcome;
    // A replaced directory that is gone again (or whose parent went away) becomes a delete of what is missing.
    const rechecked = await this.#recheck(trees);
    return {
      ...outcome,
      retry: rechecked.map((c) => (c.change === 'upsert' && c.dir ? { ...c, change: 'tree' } : c)),
    };
  }

  /** The target's server could not be probed (or its sub-path made): the job fails with that reason. */
  #notPrepared(runtime: TargetRuntime, result: RunResult, refused?: FailureContext['refused']): JobOutcome {
    const error = classifyFailure({
      ...(refused ? { refused } : {}),
      target: runtime.label,
      user: runtime.target.kind === 'local' ? null : runtime.target.user,
      exitCode: result.exitCode,
      stderr: result.stderr,
      ...(result.spawnError ? { spawnError: result.spawnError } : {}),
    });
    return { ok: false, exitCode: result.exitCode, error, partial: false };
  }

  async #run(
    runtime: TargetRuntime,
    job: RunSpec,
    runId: number,
    capabilities: ServerCapabilities,
  ): Promise<JobOutcome> {
    const started = this.#ctx.clock.now();
    const today = day(started);
    let input: Buffer | null = null;
    let excludeLiterals = false;
    let excludeFile: string | null = null;
    let pathCount = 0;
    if (job.kind === 'paths' || job.kind === 'tree') {
      let paths = job.kind === 'paths' ? collapse(job.changes) : job.changes.map((c) => c.path);
      // rsync < 3.2.3 aborts on a deleted directory listed with entries below it.
      if (job.kind === 'paths' && !capabilities.nestedDeletes && this.config.deletion !== 'keep')
        paths = await pruneBelowDeleted(this.#root, paths);
      pathCount = paths.length;
      input = encodeFileList(paths);
      if (job.kind === 'tree' && this.config.excludes.regex.length > 0) {
        const excluded = await findExcluded(this.#root, this.#excluded);
        if (excluded.length > 0) excludeFile = await writeRulesFile(excluded.map(literalRsyncPattern));
      }
    } else if (this.config.excludes.regex.length > 0) {
      const excluded = await findExcluded(this.#root, this.#excluded);
      excludeLiterals = excluded.length > 0;
      if (excludeLiterals) input = encodeRules(excluded.map(literalRsyncPattern));
    }
    const fullSyncExtra =
      job.kind === 'full' && job.reason === 'schedule' ? this.config.fullSync.excludes : [];
    const maxDelete = job.kind === 'full' ? await this.#fullSyncDeleteLimit(runtime) : null;
    const args = buildArgs({
      maxDelete: maxDelete?.limit ?? null,
      kind: job.kind,
      folder: this.config.folder,
      target: runtime.target,
      deletion: this.config.deletion,
      options: runtime.options,
      passwordFile: runtime.config.passwordFile ?? null,
      excludeGlobs: [...excludeGlobs(this.config.excludes), ...fullSyncExtra],
      excludeLiterals,
      excludeFile,
      today,
      capabilities,
    });
    this.#ctx.emit('batch-start', {
      pairId: this.id,
      targetId: runtime.id,
      runId,
      kind: job.kind,
      paths: pathCount,
    });
    let files = 0;
    let deleted = 0;
    let bytes = 0;
    let lastFile = '';
    const result = await runRsync({
      rsync: this.#ctx.rsync,
      args,
      input,
      password: runtime.config.password ?? null,
      onItem: (item) => {
        if (item.type === 'file') {
          if (!item.transferred && !item.deleted) return;
          if (item.deleted) deleted++;
          else if (!item.isDir) files++;
          bytes += item.bytes;
          lastFile = display(item.path);
          this.#ctx.emit('file', {
            pairId: this.id,
            targetId: runtime.id,
            runId,
            path: lastFile,
            bytes: item.bytes,
            deleted: item.deleted,
          });
        } else {
          runtime.current = { file: lastFile, bytes: item.bytes, total: null, percent: item.percent };
          this.#ctx.emit('progress', { pairId: this.id, targetId: runtime.id, runId, ...runtime.current });
        }
      },
    });
    runtime.current = null;
    if (excludeFile) await fs.rm(excludeFile, { force: true });
    if (runtime.today.date !== today) runtime.today = { date: today, files: 0, bytes: 0 };
    runtime.today.files += files;
    runtime.today.bytes += bytes;
    const deletionsStopped = /Deletions stopped due to --max-delete limit/.test(result.stderr);
    if (maxDelete && deletionsStopped) {
      if (maxDelete.emptySource) this.#trip('folder-empty');
      else this.#trip('mass-delete', `more than ${maxDelete.limit} entries of`);
    }
    const ok = result.exitCode === 0 || (deletionsStopped && result.exitCode === 25);
    const failure = {
      target: runtime.label,
      user: runtime.target.kind === 'local' ? null : runtime.target.user,
      exitCode: result.exitCode,
      stderr: result.stderr,
      ...(result.spawnError ? { spawnError: result.spawnError } : {}),
    };
    const error = ok ? null : classifyFailure(failure);
    const outcome: JobOutcome = {
      ok,
      exitCode: result.exitCode,
      error,
      partial:
        !ok && result.exitCode === 23 && (error?.kind === 'permission-denied' || error?.kind === 'partial'),
    };
    // 24: vanished; 2 with "invalid path from sender": rsync < 3.2.3 met a directory deleted after the list
    // was made, with entries below it. Either way what is gone is deleted at its top-most missing ancestor.
    if (!ok && job.kind === 'paths' && (result.exitCode === 24 || error?.kind === 'vanished'))
      outcome.retry = await this.#recheck(job.changes);
    if (!ok && job.kind === 'paths' && result.exitCode === 23) {
      // Only the files rsync named are retried, when it named each one (else the whole batch is).
      const failed = new Set(failedPaths(result.stderr, this.config.folder));
      const named = job.changes.filter((change) => failed.has(change.path));
      if (failed.size > 0 && named.length === failed.size) {
        // A file that is gone by now (its directory was renamed or deleted during the run: "link_stat ...
        // No such file or directory") is no failure: it becomes a deletion at once, like a vanished one.
        outcome.retry = await this.#recheck(named);
        if (outcome.retry.every((change) => change.change === 'delete')) {
          outcome.partial = false;
          outcome.error = classifyFailure({ ...failure, exitCode: 24 });
        }
      }
    }
    if (!ok && job.kind === 'paths' && this.#ctx.hasListeners('paths-failed')) {
      this.#ctx.emit('paths-failed', {
        pairId: this.id,
        targetId: runtime.id,
        paths: (outcome.retry ?? job.changes).slice(0, 1000).map((c) => display(c.path)),
        exitCode: result.exitCode,
        error: error ? { kind: error.kind, message: error.message } : null,
      });
    }
    const summary: BatchSummary = {
      pairId: this.id,
      targetId: runtime.id,
      runId,
      kind: job.kind,
      paths: pathCount,
      files,
      deleted,
      bytes,
      ms: this.#ctx.clock.now() - started,
      exitCode: result.exitCode,
      ok,
      error: null,
      at: new Date(this.#ctx.clock.now()).toISOString(),
    };
    this.#ctx.emit('batch-end', summary);
    return outcome;
  }

  /**
   * How many deletions a full sync may make: none while the guard holds or when the folder is empty (rsync
   * then only reports what it would delete), unlimited once the user confirmed, else the guard's minimum.
   */
  async #fullSyncDeleteLimit(
    runtime: TargetRuntime,
  ): Promise<{ limit: number; emptySource: boolean } | null> {
    const guard = this.config.deleteGuard;
    if (!guard.enabled || this.config.deletion === 'keep') return null;
    if (this.#guard) return { limit: 0, emptySource: false };
    // A folder replaced since it was watched (a disk mounted over it, a renamed home) is never mirrored
    // without asking, even between two of the periodic identity checks.
    const problem = await this.#rootProblem();
    if (problem === 'folder-missing' || problem === 'folder-replaced') {
      this.#trip(problem);
      return { limit: 0, emptySource: false };
    }
    if (this.#confirmed.delete(runtime.id)) return null;
    return problem === 'folder-empty'
      ? { limit: 0, emptySource: true }
      : { limit: guard.minEntries, emptySource: false };
  }

  /** After "vanished" (exit 24): what exists is sent again, what is gone is deleted at its top-most missing ancestor. */
  async #recheck(changes: PathChange[]): Promise<PathChange[]> {
    const result = new Map<RelPath, PathChange>();
    const exists = async (rel: RelPath): Promise<boolean> => {
      try {
        await fs.lstat(absolute(this.#root, rel));
        return true;
      } catch {
        return false;
      }
    };
    for (const change of changes) {
      if (await exists(change.path)) {
        result.set(change.path, { path: change.path, change: 'upsert', dir: change.dir });
        continue;
      }
      let top = change.path;
      for (const dir of ancestors(change.path)) {
        if (await exists(dir)) break;
        top = dir;
      }
      result.set(top, { path: top, change: 'delete', dir: top !== change.path || change.dir });
    }
    return [...result.values()];
  }
}

/** What one rsync process does: a flat list, a list of directories sent recursively, or the whole folder. */
type RunSpec = { kind: 'paths' | 'tree'; changes: PathChange[] } | { kind: 'full'; reason: string };

/** Writes NUL-separated exclude rules to a private temporary file for --exclude-from. */
async function writeRulesFile(rules: string[]): Promise<string> {
  const file = path.join(os.tmpdir(), `rsync-live-excludes-${process.pid}-${randomUUID()}`);
  await fs.writeFile(file, encodeRules(rules), { mode: 0o600 });
  return file;
}

/** The file list for a run: deletions below a deleted directory are covered by it and left out. */
export function collapse(changes: readonly PathChange[]): RelPath[] {
  const deletedDirs = new Set<RelPath>();
  for (const change of changes) if (change.change === 'delete') deletedDirs.add(change.path);
  const paths: RelPath[] = [];
  for (const change of changes) {
    let covered = false;
    if (deletedDirs.size > 0 && change.change === 'delete') {
      for (const dir of ancestors(change.path)) {
        if (deletedDirs.has(dir)) {
          covered = true;
          break;
        }
      }
    }
    if (!covered) paths.push(change.path);
  }
  return paths;
}
