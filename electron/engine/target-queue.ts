// One target's queue: pending paths (Map keyed by path, newest change wins), runs in flight (bounded
// concurrency, never two runs touching the same path or a path and its ancestor), full syncs (exclusive),
// retries with backoff. A path leaves the queue only when a run that covered it succeeded.
import { ancestors, isWithin, type RelPath } from './byte-path.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { Clock } from './clock.js';
import { addOwedOldPaths, holdChange, owesOldPath, type PathChange } from './path-change.js';
import type { Classified } from './rsync/exit-codes.js';
import { runWeight, shareFor } from './run-share.js';
import type { SyncError, TargetStatus } from '../shared/state.js';

export type Job = { kind: 'paths'; changes: PathChange[] } | { kind: 'full'; reason: string };

export interface JobOutcome {
  ok: boolean;
  exitCode: number | null;
  error: Classified | null;
  /** On failure, the paths to retry; absent means all of the job's paths. */
  retry?: PathChange[];
  /**
   * Some files failed (rsync exit 23: unreadable, vanished parent…) while the rest was sent: the failed job is
   * retried later without holding back new work, so one bad file never stalls the target.
   */
  partial?: boolean;
}

export interface TargetQueueOptions {
  concurrency: number;
  maxBatch: number;
  clock: Clock;
  backoff?: BackoffOptions;
  random?: () => number;
  execute: (job: Job, runId: number) => Promise<JobOutcome>;
  /** Something observable changed (queue depth, status, error). */
  onChange: () => void;
  onError: (error: SyncError) => void;
  onRecovered: () => void;
}

interface Run {
  id: number;
  job: Job;
  paths: RelPath[];
  /** run-share.ts: what the run weighs and when it started. */
  weight: number;
  startedAt: number;
}

let nextRunId = 1;

export class TargetQueue {
  readonly #options: TargetQueueOptions;
  readonly #pending = new Map<RelPath, PathChange>();
  readonly #inFlight = new Map<RelPath, PathChange>();
  readonly #runs = new Map<number, Run>();
  #fullSyncWanted: string | null = null;
  /** The paths of the moves and deletions pending when the wanted full sync was first held back (see #pump). */
  #owedFirst: Set<RelPath> | null = null;
  /** Old paths owed by changes a wanted full sync took over (runs that kept vanishing), until it completes. */
  readonly #takenOver = new Set<RelPath>();
  #fullRunning = false;
  #paused = false;
  #stopped = false;
  #closed = false;
  #error: SyncError | null = null;
  #attempts = 0;
  #partialError: SyncError | null = null;
  #partialAttempts = 0;
  readonly #partialPaths = new Map<RelPath, PathChange>();
  #partialFull: string | null = null;
  #partialTimer: unknown = null;
  #vanishedRetries = 0;
  #retryTimer: unknown = null;
  #retryAt: number | null = null;
  #started = false;
  #lastSuccessAt: number | null = null;
  #lastFullSyncAt: number | null = null;
  #idleWaiters: (() => void)[] = [];

  constructor(options: TargetQueueOptions) {
    this.#options = options;
  }

  get queued(): number {
    return this.#pending.size;
  }
  get inFlight(): number {
    return this.#inFlight.size;
  }
  get runs(): number {
    return this.#runs.size;
  }
  get fullSyncRunning(): boolean {
    return this.#fullRunning;
  }
  get error(): SyncError | null {
    return this.#error ?? this.#partialError;
  }
  get lastSuccessAt(): number | null {
    return this.#lastSuccessAt;
  }
  get lastFullSyncAt(): number | null {
    return this.#lastFullSyncAt;
  }
  pendingPaths(): RelPath[] {
    return [...this.#pending.keys()];
  }

  /**
   * The old paths on the target that pending, in-flight and deferred changes still owe (deleted, or replaced by
   * a move's new path), and those a wanted full sync took over: a full sync finds them as entries the folder no
   * longer has, yet they are no loss.
   */
  owedOldPaths(): Set<RelPath> {
    const owed = new Set<RelPath>(this.#takenOver);
    addOwedOldPaths(owed, this.#pending.values());
    addOwedOldPaths(owed, this.#inFlight.values());
    addOwedOldPaths(owed, this.#partialPaths.values());
    return owed;
  }

  /** Removes and returns the pending deletions (the delete guard holds them back). */
  takeDeletes(): PathChange[] {
    const deletes = [...this.#pending.values()].filter((change) => change.change === 'delete');
    for (const change of deletes) this.#pending.delete(change.path);
    if (deletes.length > 0) this.#changed();
    return deletes;
  }

  /** Everything not yet confirmed sent: pending and in flight (for persistence). */
  unfinished(): PathChange[] {
    const all = new Map<RelPath, PathChange>();
    for (const change of this.#inFlight.values()) all.set(change.path, change);
    for (const [path, change] of this.#pending) all.set(path, change);
    return [...all.values()];
  }

  get status(): TargetStatus {
    if (this.#paused) return 'paused';
    if (this.#stopped) return 'stopped';
    if (this.#error || this.#partialError) return 'error';
    if (!this.#started) return 'starting';
    if (this.#runs.size > 0 || this.#pending.size > 0 || this.#fullSyncWanted !== null) return 'syncing';
    return 'idle';
  }

  /** Marks the start-up phase over (the first full sync, if any, has been queued or skipped). */
  markStarted(): void {
    this.#started = true;
    this.#changed();
  }

  enqueue(changes: readonly PathChange[]): void {
    if (this.#closed) return;
    for (const change of changes) {
      // A name a run in flight is deleting, back meanwhile: that run may find it back (--delete-missing-args
      // then sends the directory alone and keeps what it held on the target), so the change after it counts
      // the deletion too: a directory back at a deleted name is a replaced one (a tree run; combine()).
      const flying = this.#inFlight.get(change.path);
      if (flying?.change === 'delete' && flying.path === change.path && !this.#pending.has(change.path))
        holdChange(this.#pending, { path: change.path, change: 'delete', dir: flying.dir });
      holdChange(this.#pending, change);
    }
    this.#pump();
    this.#changed();
  }

  /**
   * `movesFirst` false: the folder is changing under the full syncs right now (a full sync found more to delete,
   * runs kept vanishing), so the moves and deletions pending would be outdated or vanish in turn: the full sync
   * does not wait for them (see #pump).
   */
  requestFullSync(reason: string, movesFirst = true): void {
    if (this.#closed) return;
    this.#wantFull(reason, movesFirst);
    this.#pump();
    this.#changed();
  }

  /** Retry immediately: clears a config stop and any backoff wait. */
  retryNow(): void {
    this.#stopped = false;
    this.#cancelRetry();
    if (this.#partialTimer !== null) {
      this.#options.clock.clearTimeout(this.#partialTimer);
      this.#partialTimer = null;
      if (this.#partialFull !== null) this.requestFullSync(this.#partialFull);
      if (this.#partialPaths.size > 0) this.enqueue([...this.#partialPaths.values()]);
    }
    this.#pump();
    this.#changed();
  }

  pause(): void {
    this.#paused = true;
    this.#changed();
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
    this.#changed();
  }

  /** Resolves when nothing is pending or in flight (or the target is stopped/paused). */
  whenIdle(): Promise<void> {
    if (this.#isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops starting runs; resolves when the runs in flight have finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelRetry();
    await this.whenIdle();
  }

  get retryAt(): number | null {
    return this.#retryAt;
  }

  #isSettled(): boolean {
    if (this.#runs.size > 0) return false;
    if (this.#closed || this.#paused || this.#stopped || this.#retryTimer !== null) return true;
    return this.#pending.size === 0 && this.#fullSyncWanted === null;
  }

  #changed(): void {
    this.#options.onChange();
    if (this.#idleWaiters.length > 0 && this.#isSettled()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #pump(): void {
    if (this.#closed || this.#paused || this.#stopped || this.#retryTimer !== null || this.#fullRunning)
      return;
    // The moves and deletions pending when a full sync is wanted go first, alone (share 0 takes only what
    // weighs nothing): run after the full sync, a move would find its new path sent whole already. Only those
    // pending then: a move that fails or arrives meanwhile waits for the full sync, which a stream of moves
    // (churn, a program renaming files all the time) would otherwise hold back for good.
    const owing = this.#fullSyncWanted !== null && this.#owedBeforeFull();
    if (this.#fullSyncWanted !== null && !owing) {
      if (this.#runs.size === 0) this.#startFull(this.#fullSyncWanted);
      return;
    }
    let free = this.#options.concurrency - this.#runs.size;
    while (free > 0 && this.#pending.size > 0) {
      // Each freed slot takes its even part of the work left (run-share.ts), never all of it while another run
      // is in flight: in a burst every slot keeps sending, and the tail is split between them.
      let pendingWeight = 0;
      for (const change of this.#pending.values()) pendingWeight += runWeight(change);
      const now = this.#options.clock.now();
      const share = owing
        ? 0
        : shareFor(pendingWeight, [...this.#runs.values()], now, this.#options.concurrency);
      const changes = this.#take(share);
      if (changes.length === 0) break;
      this.#start({ kind: 'paths', changes });
      free--;
    }
  }

  /**
   * A path that held a move or deletion (owesOldPath) when the wanted full sync was first held back still holds
   * one and has not been taken since: once taken (whatever its run's outcome) it holds nothing back.
   */
  #owedBeforeFull(): boolean {
    if (this.#owedFirst === null) {
      this.#owedFirst = new Set();
      for (const [path, change] of this.#pending) if (owesOldPath(change)) this.#owedFirst.add(path);
    }
    for (const path of this.#owedFirst) {
      const change = this.#pending.get(path);
      if (change && owesOldPath(change)) return true;
      this.#owedFirst.delete(path);
    }
    return false;
  }

  /**
   * Takes pending changes that touch nothing in flight: new or changed entries up to `share` (by runWeight),
   * and with them every move and deletion that can go (they weigh nothing: the moves of a swap or a rotation
   * must travel in one run, where the move plan orders them; split, one would delete the old copy the other
   * builds on). At most maxBatch changes.
   */
  #take(share: number): PathChange[] {
    const taken: PathChange[] = [];
    let weight = 0;
    for (const change of this.#pending.values()) {
      if (taken.length >= this.#options.maxBatch) break;
      const w = runWeight(change);
      if (w > 0 && weight >= share) continue;
      if (this.#conflicts(change)) continue;
      taken.push(change);
      weight += w;
    }
    for (const change of taken) this.#pending.delete(change.path);
    return taken;
  }

  /** A change touches its path and, for a move, the path it came from (deleted once the move is done). */
  #conflicts(change: PathChange): boolean {
    if (this.#inFlight.size === 0) return false;
    if (this.#touches(change.path, change)) return true;
    return change.from !== undefined && this.#touches(change.from, change);
  }

  #touches(path: RelPath, change: PathChange): boolean {
    if (this.#inFlight.has(path)) return true;
    for (const dir of ancestors(path)) {
      const flying = this.#inFlight.get(dir);
      if (flying && (flying.change !== 'upsert' || flying.dir)) return true;
    }
    if (change.change !== 'upsert' || change.dir) {
      for (const flying of this.#inFlight.keys()) if (isWithin(flying, path)) return true;
    }
    return false;
  }

  #wantFull(reason: string, movesFirst: boolean): void {
    if (this.#fullSyncWanted !== null) return;
    this.#fullSyncWanted = reason;
    if (!movesFirst) this.#owedFirst = new Set();
  }

  #startFull(reason: string): void {
    this.#fullSyncWanted = null;
    this.#owedFirst = null;
    this.#fullRunning = true;
    this.#start({ kind: 'full', reason });
  }

  #start(job: Job): void {
    const run: Run = {
      id: nextRunId++,
      job,
      paths:
        job.kind === 'paths'
          ? job.changes.flatMap((c) => (c.from === undefined ? [c.path] : [c.path, c.from]))
          : [],
      weight: job.kind === 'paths' ? job.changes.reduce((sum, c) => sum + runWeight(c), 0) : 0,
      startedAt: this.#options.clock.now(),
    };
    if (job.kind === 'paths') {
      for (const change of job.changes) {
        this.#owedFirst?.delete(change.path);
        this.#inFlight.set(change.path, change);
        if (change.from !== undefined) this.#inFlight.set(change.from, change);
      }
    }
    this.#runs.set(run.id, run);
    this.#changed();
    this.#options
      .execute(job, run.id)
      .catch((error: unknown): JobOutcome => ({
        ok: false,
        exitCode: null,
        error: {
          kind: 'unknown',
          class: 'transient',
          message: `internal error: ${(error as Error).message}`,
        },
      }))
      .then((outcome) => this.#finish(run, outcome))
      .catch(() => undefined);
  }

  #finish(run: Run, outcome: JobOutcome): void {
    this.#runs.delete(run.id);
    for (const path of run.paths) this.#inFlight.delete(path);
    if (run.job.kind === 'full') this.#fullRunning = false;
    const now = this.#options.clock.now();
    if (outcome.ok) {
      this.#vanishedRetries = 0;
      this.#lastSuccessAt = now;
      if (run.job.kind === 'full') {
        this.#lastFullSyncAt = now;
        this.#takenOver.clear();
      }
      this.#clearPartial(run);
      if (this.#error) {
        this.#error = null;
        this.#attempts = 0;
        if (!this.#partialError) this.#options.onRecovered();
      }
    } else if (outcome.partial && !this.#closed) {
      this.#deferPartial(run.job, outcome, now);
    } else if (outcome.error?.kind === 'vanished' && run.job.kind === 'paths' && this.#vanishedRetries >= 3) {
      // Re-checking these paths three times in a row did not settle them (rsync keeps finding names gone that
      // the re-check finds there, or the reverse, as when directories keep moving): a full sync, which compares
      // the whole tree as it is when it runs, takes them over instead of another round of the same run.
      this.#vanishedRetries = 0;
      this.#wantFull('files kept vanishing during transfers', false);
      addOwedOldPaths(this.#takenOver, run.job.changes);
      addOwedOldPaths(this.#takenOver, outcome.retry ?? []);
    } else {
      this.#requeue(run.job, outcome.retry);
      this.#fail(outcome, now);
    }
    this.#pump();
    this.#changed();
  }

  /** A run that failed for some files only: retry that job later, in the background. */
  #deferPartial(job: Job, outcome: JobOutcome, now: number): void {
    if (job.kind === 'full') this.#partialFull ??= job.reason;
    else for (const change of outcome.retry ?? job.changes) this.#partialPaths.set(change.path, change);
    this.#partialAttempts++;
    const delay = backoffDelay(
      this.#partialAttempts,
      this.#options.backoff ?? DEFAULT_BACKOFF,
      this.#options.random,
    );
    const nextRetryAt = this.#partialTimer === null ? now + delay : null;
    if (this.#partialTimer === null) {
      this.#partialTimer = this.#options.clock.setTimeout(() => {
        this.#partialTimer = null;
        const full = this.#partialFull;
        const paths = [...this.#partialPaths.values()];
        if (full !== null) this.requestFullSync(full);
        if (paths.length > 0) this.enqueue(paths);
      }, delay);
    }
    const classified = outcome.error ?? {
      kind: 'partial' as const,
      class: 'transient' as const,
      message: 'some files were not sent',
    };
    const iso = new Date(now).toISOString();
    this.#partialError = {
      kind: classified.kind,
      class: classified.class,
      message: classified.message,
      exitCode: outcome.exitCode,
      since: this.#partialError?.since ?? iso,
      at: iso,
      attempts: this.#partialAttempts,
      nextRetryAt: new Date(nextRetryAt ?? now + delay).toISOString(),
    };
    this.#options.onError(this.#partialError);
  }

  /**
   * A successful run that covered what had failed partially ends that incident. A failed change that also owed
   * the deletion of the path a move left (`from`) is covered only when the run replaced that path's old copy
   * too (oldCopiesReplaced): else it goes back to the queue now, so the old copy on the target is dealt with
   * (deleted, or replaced by what stands there now). In a swap, `mv x tmp; mv y x; mv tmp y`, the run that
   * moves y to x leaves x's old entries there: only the owed deletion removes them.
   */
  #clearPartial(run: Run): void {
    if (!this.#partialError) return;
    if (run.job.kind === 'full') {
      this.#partialFull = null;
      this.#partialPaths.clear();
    } else {
      const covered = oldCopiesReplaced(run.job.changes);
      for (const path of run.paths) {
        const change = this.#partialPaths.get(path);
        if (!change) continue;
        this.#partialPaths.delete(path);
        if (change.from === undefined || covered.has(change.from)) continue;
        holdChange(this.#pending, change, true);
      }
    }
    if (this.#partialFull !== null || this.#partialPaths.size > 0) return;
    this.#partialError = null;
    this.#partialAttempts = 0;
    if (this.#partialTimer !== null) this.#options.clock.clearTimeout(this.#partialTimer);
    this.#partialTimer = null;
    if (!this.#error) this.#options.onRecovered();
  }

  /** Puts a failed run's paths back, unless a newer change for the same path arrived meanwhile. */
  #requeue(job: Job, retry: PathChange[] | undefined): void {
    if (job.kind === 'full') {
      this.#fullSyncWanted ??= job.reason;
      return;
    }
    const changes = retry ?? job.changes;
    const newer = new Map(this.#pending);
    this.#pending.clear();
    for (const change of changes) holdChange(this.#pending, change);
    for (const change of newer.values()) holdChange(this.#pending, change);
  }

  #fail(outcome: JobOutcome, now: number): void {
    const classified = outcome.error ?? {
      kind: 'unknown' as const,
      class: 'transient' as const,
      message: 'rsync failed',
    };
    // Files that vanished mid-run are re-checked at once, without raising an error, a few times in a row.
    if (classified.kind === 'vanished' && this.#vanishedRetries < 3) {
      this.#vanishedRetries++;
      return;
    }
    this.#attempts++;
    const stopped = classified.class === 'config';
    let nextRetryAt: number | null = null;
    if (stopped) {
      this.#stopped = true;
    } else if (this.#retryTimer !== null) {
      nextRetryAt = this.#retryAt;
    } else if (!this.#closed) {
      const delay = backoffDelay(
        this.#attempts,
        this.#options.backoff ?? DEFAULT_BACKOFF,
        this.#options.random,
      );
      nextRetryAt = now + delay;
      this.#retryAt = nextRetryAt;
      this.#retryTimer = this.#options.clock.setTimeout(() => {
        this.#retryTimer = null;
        this.#retryAt = null;
        this.#pump();
        this.#changed();
      }, delay);
    }
    const iso = new Date(now).toISOString();
    const sameIncident = this.#error !== null && this.#error.kind === classified.kind;
    this.#error = {
      kind: classified.kind,
      class: classified.class,
      message: classified.message,
      exitCode: outcome.exitCode,
      since: sameIncident && this.#error ? this.#error.since : iso,
      at: iso,
      attempts: this.#attempts,
      nextRetryAt: nextRetryAt === null ? null : new Date(nextRetryAt).toISOString(),
    };
    this.#options.onError(this.#error);
  }

  #cancelRetry(): void {
    if (this.#closed && this.#partialTimer !== null) {
      this.#options.clock.clearTimeout(this.#partialTimer);
      this.#partialTimer = null;
    }
    if (this.#retryTimer !== null) this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#retryAt = null;
  }
}

/**
 * The paths whose old copy on the target a successful run of `changes` replaced or deleted: a deletion, a
 * replaced directory (tree), a file, and the path a move left (deleted, or re-sent whole: target-runner.ts).
 * A move onto a path or a new directory's send deletes nothing there.
 */
function oldCopiesReplaced(changes: readonly PathChange[]): Set<RelPath> {
  const replaced = new Set<RelPath>();
  for (const change of changes) {
    if (change.change === 'tree' || change.change === 'delete' || (change.change === 'upsert' && !change.dir))
      replaced.add(change.path);
    if (change.from !== undefined) replaced.add(change.from);
  }
  return replaced;
}
