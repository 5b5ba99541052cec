// One pair: wires a folder's watcher, coalescer and delete guard to one TargetRunner per target, and owns
// nothing else: the start-up checks, which full syncs run when (start-up, schedule, watch limit, bursts,
// confirmations), and the pair's state as the shells see it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Cron } from 'croner';
import {
  firstError,
  type DeleteGuardReason,
  type PairState,
  type PairStatus,
  type SyncError,
  type TargetState,
} from '../shared/state.js';
import { display, type RelPath } from './byte-path.js';
import { every } from './clock.js';
import { Coalescer, type WatchEvent } from './coalescer.js';
import { DeleteGuard } from './delete-guard.js';
import { compileExcludes, type ExcludeMatcher } from './excludes.js';
import { DiskFolderProbe } from './folder-probe.js';
import { GuardStore } from './guard-store.js';
import { HardLinkCheck } from './hard-links.js';
import type { EnginePairConfig, PairContext } from './pair-types.js';
import { checkPasswordFile } from './password-file.js';
import type { PathChange } from './path-change.js';
import { VERSIONS_DIR } from './rsync/command.js';
import { QuietPaths } from './restore/quiet-paths.js';
import { TargetLocks } from './target-lock.js';
import { TargetRunner } from './target-runner.js';
import { createWatcher, type Watcher } from './watcher/index.js';

export type { EnginePairConfig, EngineTargetConfig, PairContext } from './pair-types.js';

/** How often the folder's identity is checked (an unmount or a disk mounted over it sends no event). */
const ROOT_CHECK_MS = 2_000;

export interface StartOptions {
  /** The user agreed to the deletions (a tripped guard, or data already on a new pair's targets). */
  confirmDeletions?: boolean;
  /** Data already on a new pair's targets is kept (merge) without asking. */
  keepExisting?: boolean;
  /** Why this pair must not run (its target overlaps another pair's): it shows this error and does nothing. */
  refused?: string | null;
}

export class Pair {
  readonly config: EnginePairConfig;
  /** Paths a restore is writing into the folder: their events are not synced. */
  readonly quiet: QuietPaths;
  readonly #ctx: PairContext;
  readonly #root: Buffer;
  readonly #excluded: ExcludeMatcher;
  readonly #targets: TargetRunner[] = [];
  readonly #coalescer: Coalescer;
  readonly #hardLinks: HardLinkCheck;
  readonly #probe: DiskFolderProbe;
  readonly #guard: DeleteGuard;
  readonly #guardStore: GuardStore | null;
  /** One engine per folder+target: this pair's target locks (target-lock.ts). */
  readonly #locks: TargetLocks;
  #watcher: Watcher | null = null;
  #watcherError: SyncError | null = null;
  #cron: Cron | null = null;
  #stopFallback: (() => void) | null = null;
  #stopRootCheck: (() => void) | null = null;
  #burstTimer: unknown = null;
  #burstPaths = 0;
  #started = false;
  #stopped = false;

  constructor(config: EnginePairConfig, ctx: PairContext) {
    this.config = config;
    this.#ctx = ctx;
    this.quiet = new QuietPaths(ctx.clock);
    this.#root = Buffer.from(config.folder.replace(/\/+$/, '') || '/', 'utf8');
    const versionsRule = config.deletion === 'versions' ? [VERSIONS_DIR] : [];
    this.#excluded = compileExcludes(config.excludes, versionsRule);
    this.#hardLinks = new HardLinkCheck({
      root: this.#root,
      clock: ctx.clock,
      resync: (rel) => {
        this.#log('info', `${display(rel)} changed and has other hard links: a full sync updates them too`);
        this.fullSync('a file with other hard links changed');
      },
    });
    this.#coalescer = new Coalescer({
      delayMs: config.delayMs,
      maxDelayMs: config.maxDelayMs,
      clock: ctx.clock,
      onFlush: (changes) => this.#dispatch(changes),
      onSettled: (changes) => this.#settled(changes),
      onChangedInPlace: (paths) => void this.#hardLinks.check(paths),
    });
    this.#probe = new DiskFolderProbe(config.folder, this.#root, this.#excluded);
    this.#guardStore = ctx.stateDir ? new GuardStore(ctx.stateDir, config.folder) : null;
    this.#locks = new TargetLocks(ctx.lockDir, config.folder, ctx.lockHolder);
    this.#guard = new DeleteGuard({
      folder: config.folder,
      limits: {
        ...config.deleteGuard,
        enabled: config.deleteGuard.enabled && config.deletion !== 'keep',
      },
      clock: ctx.clock,
      probe: this.#probe,
      store: this.#guardStore,
      release: (changes) => this.#enqueue(changes),
      onTrip: (state) => {
        // Deletions already queued for the targets are held too.
        for (const runner of this.#targets) this.#guard.hold(runner.queue.takeDeletes());
        this.#ctx.emit('failure', {
          pairId: this.id,
          targetId: null,
          error: this.#guardError(state.message, state.since),
        });
        this.#log('error', state.message);
        this.#ctx.emit('state', this.id);
      },
      onClear: (how, reason) => this.#guardCleared(how, reason),
      onChange: () => this.#ctx.emit('state', this.id),
    });
    const host = {
      pairId: config.id,
      config,
      ctx,
      root: this.#root,
      excluded: this.#excluded,
      guard: this.#guard,
      probe: this.#probe,
      movesHeld: () => this.#coalescer.movedFrom(),
      pairings: ctx.pairings,
      log: (level: 'info' | 'warn' | 'error', message: string) => this.#log(level, message),
      makeError: (kind: SyncError['kind'], message: string, cls?: SyncError['class']) =>
        this.#makeError(kind, message, cls),
    };
    for (const target of config.targets) this.#targets.push(new TargetRunner(target, host));
  }

  /** Syncs paths as if the watcher had seen them change (a restored file changed during its settle period). */
  noteChanged(paths: readonly RelPath[]): void {
    for (const path of paths) this.#coalescer.add({ kind: 'changed', path });
  }

  get id(): string {
    return this.config.id;
  }

  #makeError(kind: SyncError['kind'], message: string, cls: SyncError['class'] = 'config'): SyncError {
    return firstError(kind, message, cls, new Date(this.#ctx.clock.now()).toISOString());
  }

  #guardError(message: string, since: string): SyncError {
    return { ...this.#makeError('delete-guard', message), since };
  }

  #log(level: 'info' | 'warn' | 'error', message: string): void {
    this.#ctx.emit('log', { level, pairId: this.id, message });
  }

  /** Checks the folder and targets, starts watching, then queues the start-up full sync per target. */
  async start(watch = true, options: StartOptions = {}): Promise<void> {
    const folderProblem = options.refused
      ? { kind: 'bad-config' as const, message: options.refused }
      : await this.#checkFolder();
    if (folderProblem) {
      this.#watcherError = this.#makeError(folderProblem.kind, folderProblem.message);
      this.#ctx.emit('failure', { pairId: this.id, targetId: null, error: this.#watcherError });
      this.#log('error', folderProblem.message);
      this.#ctx.emit('state', this.id);
      return;
    }
    for (const runner of this.#targets) {
      if (runner.configError) continue;
      const locked = await this.#locks.take(runner.config.url);
      if (locked) {
        runner.configError = this.#makeError(locked.kind, locked.message);
        continue;
      }
      const problem = await this.#checkTarget(runner);
      if (problem) runner.configError = this.#makeError('bad-config', problem);
    }
    for (const runner of this.#targets) {
      if (!runner.configError) continue;
      this.#ctx.emit('failure', { pairId: this.id, targetId: runner.id, error: runner.configError });
      this.#log('error', runner.configError.message);
    }
    if (options.keepExisting) for (const runner of this.#targets) runner.grantKeep();
    if (options.confirmDeletions) {
      await this.#guard.forget();
      for (const runner of this.#targets) runner.grantMirror();
    } else {
      const kept = await this.#guard.restore();
      if (kept) this.#log('error', `still paused since ${kept.since} (before this start): ${kept.message}`);
      // `rsync-live confirm-deletions FOLDER` while nothing ran counts as confirming now.
      if (kept && (await this.#guardStore?.takeConfirmation())) await this.confirmDeletions();
    }
    if (watch) await this.#startWatcher();
    if (this.#guard.enabled) {
      this.#startGuard();
      if (watch || this.#guardStore)
        this.#stopRootCheck = every(this.#ctx.clock, ROOT_CHECK_MS, () => void this.#checkRoot());
    }
    this.#started = true;
    for (const runner of this.#targets) {
      if (this.config.paused) runner.queue.pause();
      const resumed = await runner.load();
      if (resumed.length > 0) {
        this.#log('info', `${runner.label}: resuming ${resumed.length} unfinished path(s) from the last run`);
        runner.queue.enqueue(resumed);
      }
      if (!runner.configError && (this.config.fullSync.onStart || !watch))
        runner.queue.requestFullSync(runner.paired ? 'start-up' : 'first sync');
      runner.queue.markStarted();
    }
    if (watch && this.config.fullSync.schedule) {
      this.#cron = new Cron(this.config.fullSync.schedule, { protect: true }, () =>
        this.fullSync('schedule'),
      );
    }
    this.#ctx.emit('state', this.id);
  }

  async #startWatcher(): Promise<void> {
    const watcher = createWatcher(this.config.watcher, {
      root: this.#root,
      folder: this.config.folder,
      ignored: this.#excluded,
      kernelEvents: true,
      clock: this.#ctx.clock,
    });
    this.#watcher = watcher;
    // A backend that reports closes holds a file until its writer is done with it.
    this.#coalescer.useCloseWrite(watcher.capabilities.closeWrite);
    watcher.on('event', (event: WatchEvent) => {
      if (this.quiet.covers(event.path, event.from)) return; // a restore writing (restore/quiet-paths.ts)
      this.#guard.noteEvent(event);
      this.#coalescer.add(event);
    });
    watcher.on('rescan', (reason) => {
      this.#log('warn', `${reason}: a full sync repairs what was missed`);
      this.fullSync(`watcher: ${reason}`);
    });
    watcher.on('error', (info) => {
      this.#watcherError = this.#makeError(
        info.kind,
        info.message,
        info.kind === 'watcher' ? 'transient' : 'config',
      );
      this.#ctx.emit('failure', { pairId: this.id, targetId: null, error: this.#watcherError });
      this.#log('error', info.message);
      if (info.kind === 'watch-limit') this.#startFallback();
      if (info.kind === 'source-missing') this.#guard.trip('folder-missing');
      if (info.kind === 'unmounted') this.#guard.trip('folder-unmounted');
      this.#ctx.emit('state', this.id);
    });
    await this.#probe.remember();
    await watcher.start();
    this.#log(
      'info',
      `watching ${this.config.folder} (${watcher.directories} directories, ${watcher.backend})`,
    );
  }

  /** The guard's level: the watcher's walk counted the folder already (a second walk costs seconds at 100k dirs). */
  #startGuard(): void {
    void this.#guard.start(this.#watcher?.entriesBelow?.() ?? null).catch(() => undefined);
  }

  /** The same folder is back (or the user confirmed a new one): watch it afresh and prove the targets. */
  async #rewatch(): Promise<void> {
    if (this.#stopped) return;
    const old = this.#watcher;
    this.#watcher = null;
    await old?.close();
    this.#watcherError = null;
    if (old) await this.#startWatcher();
    else await this.#probe.remember();
    this.#startGuard();
    this.fullSync('the folder is back');
  }

  async #checkFolder(): Promise<{ kind: SyncError['kind']; message: string } | null> {
    const folder = this.config.folder;
    if (!path.isAbsolute(folder)) {
      return {
        kind: 'bad-config',
        message: `folder ${folder} is not an absolute path: give the full path, e.g. ${path.resolve(folder)}`,
      };
    }
    const identity = await this.#probe.remember();
    if (identity) return null;
    try {
      await fs.stat(folder);
      return { kind: 'bad-config', message: `folder ${folder} is a file, not a directory: pick a directory` };
    } catch (error) {
      return {
        kind: 'source-missing',
        message: `folder ${folder} does not exist (${(error as NodeJS.ErrnoException).code}): create it or fix the pair's folder`,
      };
    }
  }

  async #checkTarget(runner: TargetRunner): Promise<string | null> {
    const { target, config } = runner;
    if (config.passwordFile) {
      try {
        await checkPasswordFile(config.passwordFile);
      } catch (error) {
        return `${runner.label}: ${(error as Error).message}`;
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
    this.#stopFallback ??= every(this.#ctx.clock, this.#ctx.fallbackFullSyncMs, () =>
      this.fullSync('periodic full sync (watch limit)'),
    );
  }

  /** Every few seconds: is the folder still the same directory? And did `confirm-deletions` leave an answer? */
  async #checkRoot(): Promise<void> {
    if (this.#stopped) return;
    const problem = await this.#probe.check();
    if (problem) this.#guard.trip(problem);
    const waiting = this.#guard.tripped || this.#targets.some((runner) => runner.existing !== null);
    if (waiting && (await this.#guardStore?.takeConfirmation())) {
      this.#log('info', 'deletions confirmed with rsync-live confirm-deletions');
      await this.confirmDeletions();
    }
  }

  /** Every path as it settled (before new directories gather what lies below them): the burst check, plugins. */
  #settled(changes: PathChange[]): void {
    this.#noteBurst(changes.length);
    if (changes.length > 0 && this.#ctx.hasListeners('changes')) {
      this.#ctx.emit('changes', {
        pairId: this.id,
        folder: this.config.folder,
        // Plugins see a move as sersync did: the old name deleted, the new one created.
        changes: changes.flatMap((c) => {
          const change = c.change === 'move' ? ('upsert' as const) : c.change;
          const here = { path: display(c.path), change, dir: c.dir };
          return c.from === undefined
            ? [here]
            : [{ path: display(c.from), change: 'delete' as const, dir: c.dir }, here];
        }),
      });
    }
  }

  #dispatch(changes: PathChange[]): void {
    const deletes = this.config.deletion === 'keep' ? [] : changes.filter((c) => c.change === 'delete');
    this.#enqueue(this.#guard.supersede(changes.filter((c) => c.change !== 'delete')));
    if (deletes.length === 0) return;
    if (this.#guard.enabled) this.#guard.hold(deletes);
    else this.#enqueue(deletes);
  }

  #enqueue(changes: PathChange[]): void {
    if (changes.length === 0) return;
    for (const runner of this.#targets) if (!runner.configError) runner.queue.enqueue(changes);
  }

  #guardCleared(how: 'confirmed' | 'recovered', reason: DeleteGuardReason): void {
    this.#ctx.emit('recovered', { pairId: this.id, targetId: null });
    const folderGone = reason !== 'mass-delete';
    if (how === 'confirmed') {
      this.#log(
        'info',
        'deletions confirmed: held deletions sent, the next full sync mirrors the folder as it is now',
      );
      for (const runner of this.#targets) runner.grantMirror();
    } else {
      this.#log('info', `the folder ${this.config.folder} is back as it was: deletions resume`);
    }
    if (folderGone) void this.#rewatch();
    else if (how === 'confirmed') this.fullSync('deletions confirmed');
    this.#ctx.emit('state', this.id);
  }

  /**
   * The user confirmed: the held deletions go out, targets whose first sync found data the folder doesn't
   * have mirror it, and the next full sync may delete without limit. False when nothing was held.
   */
  async confirmDeletions(): Promise<boolean> {
    let answered = false;
    for (const runner of this.#targets) if (await runner.answerExisting('mirror')) answered = true;
    const reason = this.#guard.confirm();
    this.#ctx.emit('state', this.id);
    return answered || reason !== null;
  }

  /** The user keeps the data found on a new pair's targets (merge). False when none was waiting. */
  async keepExisting(targetId?: string): Promise<boolean> {
    let answered = false;
    for (const runner of this.#targets) {
      if (targetId !== undefined && runner.id !== targetId) continue;
      if (await runner.answerExisting('keep')) answered = true;
    }
    return answered;
  }

  /**
   * Events are hints: after a burst (many paths in a short time) has been quiet for a moment, one full sync
   * proves the target complete, whatever the watcher may have missed (kernel queue overflow, a backend gap).
   */
  #noteBurst(paths: number): void {
    // The kernel backend says when it lost events (queue overflow: a rescan): no blind check after bursts.
    if (this.#ctx.burstVerify.paths <= 0 || this.#watcher?.capabilities.moves) return;
    this.#burstPaths += paths;
    if (this.#burstPaths < this.#ctx.burstVerify.paths) return;
    const clock = this.#ctx.clock;
    if (this.#burstTimer !== null) clock.clearTimeout(this.#burstTimer);
    this.#burstTimer = clock.setTimeout(() => {
      this.#burstTimer = null;
      this.#burstPaths = 0;
      this.fullSync('verify after burst');
    }, this.#ctx.burstVerify.quietMs);
  }

  fullSync(reason: string, targetId?: string): void {
    if (!this.#started || this.#stopped) return;
    this.#coalescer.flush();
    for (const runner of this.#targets) {
      if (runner.configError) continue;
      if (targetId === undefined || runner.id === targetId) runner.queue.requestFullSync(reason);
    }
  }

  retryNow(targetId?: string): void {
    for (const runner of this.#targets) {
      if (targetId !== undefined && runner.id !== targetId) continue;
      if (runner.configError?.kind === 'in-use') void this.#relock(runner);
      else runner.queue.retryNow();
    }
  }

  /** Retry now on a target another rsync-live held: if its lock is free now, the target starts. */
  async #relock(runner: TargetRunner): Promise<void> {
    if (!this.#started || this.#stopped) return;
    const locked = await this.#locks.take(runner.config.url);
    if (this.#stopped) return this.#locks.releaseAll();
    if (locked) {
      runner.configError = this.#makeError(locked.kind, locked.message);
    } else {
      runner.configError = null;
      runner.queue.enqueue(await runner.load());
      runner.queue.requestFullSync(runner.paired ? 'start-up' : 'first sync');
      this.#ctx.emit('recovered', { pairId: this.id, targetId: runner.id });
    }
    this.#ctx.emit('state', this.id);
  }

  pause(): void {
    for (const runner of this.#targets) runner.queue.pause();
  }

  resume(): void {
    for (const runner of this.#targets) runner.queue.resume();
  }

  /** Resolves when every event so far has been sent (or its target is failing, paused or stopped). */
  async whenIdle(): Promise<void> {
    this.#coalescer.flush();
    await this.#guard.settle();
    await Promise.all(this.#targets.map((runner) => runner.queue.whenIdle()));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cron?.stop();
    if (this.#burstTimer !== null) this.#ctx.clock.clearTimeout(this.#burstTimer);
    this.#stopFallback?.();
    this.#stopRootCheck?.();
    this.#guard.stop();
    this.#hardLinks.stop();
    await this.#watcher?.close();
    this.#coalescer.flush();
    await Promise.all(this.#targets.map((runner) => runner.close()));
    await this.#guard.whenSaved();
    await this.#locks.releaseAll();
  }

  /** Pending paths per target, for persistence and diagnostics. */
  pendingPaths(): Map<string, RelPath[]> {
    return new Map(this.#targets.map((runner) => [runner.id, runner.queue.pendingPaths()]));
  }

  get deleteGuard(): PairState['deleteGuard'] {
    return this.#guard.state();
  }

  /** Something waits for the user: a tripped guard, or data found on a new pair's target. */
  get awaitingConfirmation(): boolean {
    return this.#guard.tripped || this.#targets.some((runner) => runner.existing !== null);
  }

  state(): PairState {
    const targets = this.#targets.map((runner) => runner.state());
    return {
      id: this.id,
      name: this.config.name ?? path.basename(this.config.folder),
      folder: this.config.folder,
      status: this.#status(targets),
      deletion: this.config.deletion,
      deleteGuard: this.#guard.state(),
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
    if (this.#guard.tripped) return 'error';
    if (this.#watcherError && this.#watcherError.class === 'config') return 'error';
    if (targets.some((t) => t.status === 'error' || t.status === 'stopped')) return 'error';
    if (!this.#started && !this.#watcherError) return 'starting';
    if (targets.length > 0 && targets.every((t) => t.status === 'paused')) return 'paused';
    if (targets.some((t) => t.status === 'syncing' || t.status === 'starting')) return 'syncing';
    return 'idle';
  }
}
