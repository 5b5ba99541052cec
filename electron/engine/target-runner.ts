// One target of a pair: its queue, the queue's persistence, today's totals and the transfer in progress, and
// the execution of every job as rsync runs (planned by run-plan.ts, read back by readOutcome). Full syncs
// delete nothing before they know what they would delete: a first pass with --max-delete=0 sends every change
// and counts the deletions; the delete guard (or, on a new pair's first sync, the user) decides whether a
// second pass deletes them.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RsyncOptions } from '../shared/config.js';
import type { BatchSummary, ExistingDataState, SyncError, TargetState } from '../shared/state.js';
import { absolute, ancestors, display, isWithin, join, topMost, type RelPath } from './byte-path.js';
import type { DeleteGuard } from './delete-guard.js';
import { excludeGlobs, type ExcludeMatcher } from './excludes.js';
import type { PairContext, EnginePairConfig, EngineTargetConfig } from './pair-types.js';
import type { PairingRecord, PairingStore } from './pairing-store.js';
import type { PathChange } from './path-change.js';
import { QueueStore } from './queue-store.js';
import { planRun, readOutcome, RULES_FILE_PLACEHOLDER, type RunReading, type RunSpec } from './run-plan.js';
import { planMoves, retryIncompleteMoves, runMovePlan } from './rsync/move-plan.js';
import { runRsync } from './rsync/runner.js';
import type { StatName } from './rsync/output.js';
import { TransferTracker, type SentFile } from './rsync/transfer-progress.js';
import { pruneBelowDeleted } from './rsync/deletion-list.js';
import {
  DRY_LISTING,
  LISTED,
  LISTING_LIMIT,
  sampleOf,
  splitOwed,
  suggestSubPath,
} from './rsync/target-listing.js';
import { classifyFailure } from './rsync/exit-codes.js';
import { FULL_CAPABILITIES, type ServerCapabilities } from './rsync/server-capabilities.js';
import { TargetServer } from './rsync/target-server.js';
import { findRecentlyChanged, RECENT_MS } from './recent-files.js';
import { describeTarget, parseTarget, type Target } from './rsync/target.js';
import { TargetQueue, type Job, type JobOutcome } from './target-queue.js';
import type { Classified } from './rsync/exit-codes.js';
import { findExcluded } from './tree-walk.js';
import type { FolderProbe } from './folder-probe.js';
import { SentToday } from '../shared/sent-today.js';
import { TargetLoss } from './target-loss.js';

/**
 * How often a run's progress reaches the UI: rsync prints a progress line per file, 20,000 in a burst of small
 * files, and each one would be an event (and a message to the window) of its own.
 */
export const PROGRESS_EVERY_MS = 100;

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

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** What a target needs from its pair. */
export interface TargetHost {
  readonly pairId: string;
  readonly config: EnginePairConfig;
  readonly ctx: PairContext;
  readonly root: Buffer;
  readonly excluded: ExcludeMatcher;
  readonly guard: DeleteGuard;
  readonly probe: FolderProbe;
  /** Old paths of moves the pair still holds back (coalescing): like the queue's, no loss on the target. */
  movesHeld(): RelPath[];
  readonly pairings: PairingStore;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  makeError(kind: SyncError['kind'], message: string, cls?: SyncError['class']): SyncError;
}

/** What one rsync run did. */
interface RunReport {
  reading: RunReading;
  exitCode: number | null;
  deletedPaths: RelPath[];
  /** With listAll: every path the run deleted (or, dry, would delete). */
  allDeleted: RelPath[] | null;
  /** How many entries it deleted (or would delete). */
  deleted: number;
}

export class TargetRunner {
  readonly id: string;
  readonly config: EngineTargetConfig;
  readonly target: Target;
  readonly label: string;
  readonly options: RsyncOptions;
  readonly queue: TargetQueue;
  /** The server's capabilities (probed before the first run, again after an outage) and its sub-path. */
  readonly server: TargetServer;
  configError: SyncError | null = null;
  /** What the server accepts, for the runs of the job in progress (set by #execute). */
  #caps: ServerCapabilities = FULL_CAPABILITIES;
  readonly #host: TargetHost;
  readonly #store: QueueStore | null;
  /** Sent today: file data, each file once (electron/shared/sent-today.ts). */
  readonly #sent: SentToday;
  #current: TargetState['current'] = null;
  /** The target went away (or a transfer broke off) since its last success: resync it fully on return. */
  #outage = false;
  /** null until loaded; then the first sync is done (a record) or not (null record, `#paired` false). */
  #pairing: PairingRecord | null = null;
  #existing: ExistingDataState | null = null;
  /** The user's answer to existing data or to the guard: the next full sync may delete without limit. */
  #mirrorGranted = false;
  /** Started with --keep-existing: data found by the first sync is kept without asking. */
  #keepGranted = false;
  /** The target refused rsync's basis options (copy-dest, fuzzy): moves are plain sends from now on. */
  #basisRefused = false;
  /** Whether its full syncs had to restore what this pair had put there (target-loss.ts). */
  readonly #loss: TargetLoss;

  constructor(config: EngineTargetConfig, host: TargetHost) {
    this.#host = host;
    this.id = config.id;
    this.config = config;
    let target: Target;
    try {
      target = parseTarget(config.url);
    } catch (error) {
      target = { kind: 'local', path: '/nonexistent' };
      this.configError = host.makeError('bad-config', (error as Error).message);
    }
    this.target = target;
    this.label = this.configError ? config.url : describeTarget(target);
    this.options = { ...host.config.rsync, ...config.rsync };
    this.#sent = new SentToday(day(host.ctx.clock.now()));
    this.#loss = new TargetLoss(host.root, this.label);
    this.server = new TargetServer({
      rsync: host.ctx.rsync,
      target,
      label: this.label,
      deletion: host.config.deletion,
      options: this.options,
      password: config.password ?? null,
      passwordFile: config.passwordFile ?? null,
      log: (level, message) => host.log(level, message),
    });
    this.queue = new TargetQueue({
      concurrency: config.concurrency,
      maxBatch: host.ctx.maxBatch,
      clock: host.ctx.clock,
      execute: (job, runId) => this.#execute(job, runId),
      onChange: () => {
        this.#store?.changed();
        host.ctx.emit('state', host.pairId);
      },
      onError: (error) => {
        if (OUTAGE_KINDS.has(error.kind)) {
          this.#outage = true;
          // The server may come back as another rsync: probe it again before the next attempt.
          this.server.invalidate();
        }
        host.ctx.emit('failure', { pairId: host.pairId, targetId: this.id, error });
        host.log('error', `${this.label}: ${error.message}`);
      },
      onRecovered: () => {
        host.ctx.emit('recovered', { pairId: host.pairId, targetId: this.id });
        host.log('info', `${this.label}: back in sync`);
        if (this.#outage) {
          this.#outage = false;
          // Also proves that nothing was lost while it was away.
          this.queue.requestFullSync('after an outage');
        }
      },
    });
    this.#store =
      host.ctx.stateDir && !this.configError
        ? new QueueStore({
            stateDir: host.ctx.stateDir,
            folder: host.config.folder,
            target: config.url,
            snapshot: () => this.queue.unfinished(),
          })
        : null;
  }

  /** Loads what the last run left: unfinished paths and whether this pair's first sync is done. */
  async load(): Promise<PathChange[]> {
    if (this.configError) return [];
    this.#pairing = await this.#host.pairings.load(this.#host.config.folder, this.config.url);
    this.#loss.reference = this.#pairing?.syncedAt;
    return (await this.#store?.load()) ?? [];
  }

  get paired(): boolean {
    return this.#pairing !== null;
  }

  get existing(): ExistingDataState | null {
    return this.#existing;
  }

  /** The user confirmed deletions: the next full sync of this target may delete without limit. */
  grantMirror(): void {
    this.#mirrorGranted = true;
  }

  /** Data the first sync finds on the target is kept (merge) without asking. */
  grantKeep(): void {
    this.#keepGranted = true;
  }

  /**
   * The user's answer to data found on the target by the first sync: mirror deletes it (a full sync without
   * limit), keep protects it from every later deletion. Returns false when nothing was waiting for an answer.
   */
  async answerExisting(choice: 'mirror' | 'keep'): Promise<boolean> {
    if (!this.#existing) return false;
    if (choice === 'keep' && !(await this.#keep(0))) return false;
    if (choice === 'mirror') {
      this.#existing = null;
      this.#mirrorGranted = true;
      this.#host.log('info', `${this.label}: mirroring the folder; entries not in it will be deleted`);
      this.queue.requestFullSync('existing data: mirror');
    }
    this.#host.ctx.emit('recovered', { pairId: this.#host.pairId, targetId: this.id });
    this.#host.ctx.emit('state', this.#host.pairId);
    return true;
  }

  state(): TargetState {
    const queue = this.queue;
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    const existingError = this.#existing ? this.#existingError(this.#existing) : null;
    return {
      id: this.id,
      url: this.config.url,
      kind: this.target.kind,
      status: this.configError ? 'stopped' : existingError ? 'error' : queue.status,
      queued: queue.queued,
      inFlight: queue.inFlight,
      runs: queue.runs,
      fullSyncRunning: queue.fullSyncRunning,
      lastSuccessAt: iso(queue.lastSuccessAt),
      lastFullSyncAt: iso(queue.lastFullSyncAt),
      error: this.configError ?? existingError ?? queue.error,
      today: this.#sent.totals(day(this.#host.ctx.clock.now())),
      current: this.#current,
      existing: this.#existing,
      keepsExisting: (this.#pairing?.kept.length ?? 0) > 0,
      lost: this.#loss.state,
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.#store?.save();
  }

  /**
   * A queue job: moves first (their new paths complete before their old paths go), then flat paths in one
   * rsync run, then replaced directories (tree changes) recursively in another.
   */
  async #execute(job: Job, runId: number): Promise<JobOutcome> {
    // What this target's server accepts (probed before its first run and after an outage; sub-path made).
    const prepared = await this.server.prepare();
    if (!prepared.ok) {
      const result = prepared.result;
      const error = classifyFailure({
        target: this.label,
        user: this.target.kind === 'local' ? null : this.target.user,
        exitCode: result.exitCode,
        stderr: result.stderr,
        ...(result.spawnError ? { spawnError: result.spawnError } : {}),
        ...(prepared.refused ? { refused: prepared.refused } : {}),
      });
      this.#reportUnsent(job, runId, result.exitCode, error);
      return { ok: false, exitCode: result.exitCode, error, partial: false };
    }
    this.#caps = prepared.capabilities;
    if (job.kind === 'full') {
      const started = this.#host.ctx.clock.now();
      const wallStart = Date.now(); // compared with the files' ctime: the wall clock, not the injected one
      this.#loss.begin();
      const outcome = await this.#fullSync(job.reason, runId);
      if (outcome.ok) await this.#noteLoss(wallStart);
      if (!outcome.ok || this.#caps.modifyWindowNs) return outcome;
      // No --modify-window=-1 (rsync 3.1.2): files changed in the seconds before this sync are sent again by
      // content, in case the server's copy has the same size and the same whole-second mtime.
      const recent = await findRecentlyChanged(this.#host.root, this.#host.excluded, started - RECENT_MS);
      if (recent.length === 0) return outcome;
      const changes = recent.map((p): PathChange => ({ path: p, change: 'upsert', dir: false }));
      return this.#pathsRun({ kind: 'paths', changes }, runId);
    }
    const moves = job.changes.filter((c) => c.change === 'move');
    const others = await this.#withOwedDeletions(job.changes.filter((c) => c.change !== 'move'));
    if (moves.length > 0) {
      const outcome = await this.#moves(moves, runId);
      if (!outcome.ok) return { ...outcome, retry: [...(outcome.retry ?? moves), ...others] };
      if (others.length === 0) return outcome;
    }
    const trees = others.filter((c) => c.change === 'tree');
    const subtrees = others.filter((c) => c.subtree === true && c.change === 'upsert');
    if (trees.length === 0 && subtrees.length === 0)
      return this.#pathsRun({ kind: 'paths', changes: others }, runId);
    const flat = others.filter((c) => c.change !== 'tree' && !(c.subtree === true && c.change === 'upsert'));
    if (flat.length > 0) {
      const outcome = await this.#pathsRun({ kind: 'paths', changes: flat }, runId);
      if (!outcome.ok) return { ...outcome, retry: [...(outcome.retry ?? flat), ...subtrees, ...trees] };
    }
    if (subtrees.length > 0) {
      const outcome = await this.#subtreeRun(subtrees, runId);
      if (!outcome.ok) return { ...outcome, retry: [...(outcome.retry ?? subtrees), ...trees] };
      if (trees.length === 0) return outcome;
    }
    const report = await this.#run({ kind: 'tree', changes: trees }, runId);
    if (report.reading.ok) return this.#outcome(report);
    // A replaced directory that is gone again (or whose parent went away) becomes a delete of what is missing.
    const rechecked = await this.#recheck(trees);
    return {
      ...this.#outcome(report),
      retry: rechecked.map((c) => (c.change === 'upsert' && c.dir ? { ...c, change: 'tree' } : c)),
    };
  }

  /**
   * Moves inside the folder: each new path is created on the target from the old copy there (rsync's basis
   * options, see rsync/move-plan.ts), then the old paths are deleted. A target that refuses the basis options
   * gets plain sends from then on (noted once).
   */
  async #moves(moves: PathChange[], runId: number): Promise<JobOutcome> {
    const host = this.#host;
    const { config, ctx } = host;
    const started = ctx.clock.now();
    const planned = moves.map((m) => ({ from: m.from ?? m.path, path: m.path, dir: m.dir }));
    const plan = planMoves({
      moves: planned,
      base: {
        folder: config.folder,
        target: this.target,
        deletion: config.deletion,
        options: this.options,
        passwordFile: this.config.passwordFile ?? null,
        excludeGlobs: excludeGlobs(config.excludes),
        today: day(started),
      },
      isExcluded: host.excluded,
      regexExcludes: config.excludes.regex.length > 0,
      // Move runs send --mkpath: servers without it (rsync 3.1.x) get plain sends.
      basisAllowed: !this.#basisRefused && this.#caps.mkpath,
      keptPaths: this.#pairing?.kept ?? [],
    });
    let bytes = 0;
    let files = 0;
    let deleted = 0;
    const deletedPaths: RelPath[] = [];
    let failed: JobOutcome | null = null;
    let lastExit: number | null = 0;
    const result = await runMovePlan(
      plan,
      {
        run: async (run) => {
          const res = await runRsync({
            rsync: ctx.rsync,
            args: run.args,
            input: run.input,
            password: this.config.password ?? null,
            stall: { ms: this.options.timeoutSec * 1000, clock: ctx.clock },
            onItem: (item) => {
              if (item.type !== 'file') return;
              if (item.deleted) {
                // What an old copy under a moved directory's name held (an exact run): names are below its root.
                const rel = join(run.root, item.path);
                deleted++;
                if (deletedPaths.length < LISTED) deletedPaths.push(listed(rel, item.isDir));
                this.#emitDeleted(rel, runId);
                return;
              }
              if (!item.transferred || item.isDir) return;
              files++;
              bytes += item.bytes ?? 0;
            },
          });
          lastExit = res.exitCode;
          return res;
        },
        sendPlain: async (plain) => {
          const changes = plain.map((m): PathChange => ({
            path: m.path,
            change: m.dir ? 'tree' : 'upsert',
            dir: m.dir,
          }));
          const outcome = await this.#execute({ kind: 'paths', changes }, runId);
          if (!outcome.ok) failed = outcome;
          return outcome.ok;
        },
        deleteOld: async (paths) => {
          const changes = await this.#vacated(paths);
          const outcome = await this.#execute({ kind: 'paths', changes }, runId);
          if (!outcome.ok) failed = { ...outcome, retry: outcome.retry ?? changes };
        },
        note: (line) => host.log('warn', line),
      },
      this.label,
    );
    if (result.basisRefused) this.#basisRefused = true;
    // Incomplete: the old paths were not deleted; their deletions travel with the retry (move-plan.ts).
    const sent = failed as JobOutcome | null; // assigned in the callbacks above
    if (sent?.retry && !result.complete)
      failed = { ...sent, retry: retryIncompleteMoves(plan, planned, sent.retry) };
    // A directory moved onto a name another move just left (two directories swapped) may hold the old one's
    // entries on the target: it is made exact by a tree run.
    const left = new Set(moves.map((m) => m.from));
    const reused = moves.filter((m) => m.dir && left.has(m.path));
    if (result.complete && !failed && reused.length > 0) {
      const changes = reused.map((m): PathChange => ({ path: m.path, change: 'tree', dir: true }));
      const outcome = await this.#execute({ kind: 'paths', changes }, runId);
      if (!outcome.ok) failed = { ...outcome, retry: outcome.retry ?? changes };
    }
    if (plan.runs.length > 0) {
      ctx.emit('batch-end', {
        pairId: host.pairId,
        targetId: this.id,
        runId,
        kind: 'move',
        paths: moves.length,
        files,
        deleted,
        deletedPaths: deletedPaths.map((p) => display(p)),
        vanished: 0,
        bytes,
        ms: ctx.clock.now() - started,
        exitCode: lastExit,
        ok: result.complete,
        error: null,
        at: new Date(ctx.clock.now()).toISOString(),
      });
    }
    if (failed) return failed;
    if (!result.complete)
      return {
        ok: false,
        exitCode: lastExit,
        error: {
          kind: 'unknown',
          class: 'transient',
          message: `moves to ${this.label} did not complete; retrying`,
        },
        retry: moves,
      };
    return { ok: true, exitCode: 0, error: null };
  }

  /** Activity hears of one entry deleted on the target. */
  #emitDeleted(rel: RelPath, runId: number): void {
    const { ctx, pairId } = this.#host;
    ctx.emit('file', { pairId, targetId: this.id, runId, path: display(rel), bytes: 0, deleted: true });
  }

  /** A job that never reached rsync (the server could not be probed): Activity and fail logs still hear of it. */
  #reportUnsent(job: Job, runId: number, exitCode: number | null, error: Classified): void {
    const { ctx, pairId } = this.#host;
    const paths = job.kind === 'full' ? [] : job.changes;
    if (paths.length > 0 && ctx.hasListeners('paths-failed')) {
      ctx.emit('paths-failed', {
        pairId,
        targetId: this.id,
        paths: paths.slice(0, 1000).map((c) => display(c.path)),
        exitCode,
        error: { kind: error.kind, message: error.message },
      });
    }
    const at = new Date(ctx.clock.now()).toISOString();
    ctx.emit('batch-end', {
      pairId,
      targetId: this.id,
      runId,
      kind: job.kind === 'full' ? 'full' : 'paths',
      paths: paths.length,
      files: 0,
      deleted: 0,
      deletedPaths: [],
      vanished: 0,
      bytes: 0,
      ms: 0,
      exitCode,
      ok: false,
      error: { ...this.#host.makeError(error.kind, error.message, error.class), exitCode },
      at,
    });
  }

  /**
   * The deletions still owed by changes that came from a move (a moved path later replaced or deleted): the
   * old path is listed too, the way #vacated says.
   */
  async #withOwedDeletions(changes: PathChange[]): Promise<PathChange[]> {
    const listed = new Set(changes.map((c) => c.path));
    const owed: RelPath[] = [];
    for (const change of changes) {
      if (change.from === undefined || listed.has(change.from)) continue;
      listed.add(change.from);
      owed.push(change.from);
    }
    if (owed.length === 0) return changes;
    return [...changes.map(({ from: _f, ...c }) => c), ...(await this.#vacated(owed))];
  }

  /**
   * Paths a move left: deleted on the target, unless something new stands there now — a directory made
   * where one was moved away replaces it (re-sent whole, so what the old one held goes), a file is sent.
   */
  async #vacated(paths: readonly RelPath[]): Promise<PathChange[]> {
    const changes: PathChange[] = [];
    for (const path of paths) {
      const stat = await fs.lstat(absolute(this.#host.root, path)).catch(() => null);
      if (stat === null) changes.push({ path, change: 'delete', dir: false });
      else if (stat.isDirectory()) changes.push({ path, change: 'tree', dir: true });
      else changes.push({ path, change: 'upsert', dir: false });
    }
    return changes;
  }

  /** New directories, each sent recursively in one run (fresh-dirs.ts); nothing is deleted there. */
  async #subtreeRun(changes: PathChange[], runId: number): Promise<JobOutcome> {
    const report = await this.#run({ kind: 'subtree', changes }, runId);
    if (report.reading.ok) return this.#outcome(report);
    // rsync named each file it could not send (unreadable, vanished) inside the new directories: the rest
    // arrived, so only those are retried, as plain paths. Otherwise the directories are sent again.
    const failed = report.reading.failed;
    const inside = (p: RelPath): boolean => changes.some((c) => isWithin(p, c.path));
    const onlyNamed = failed !== null && failed.length > 0 && failed.every(inside);
    const rechecked = await this.#recheck(
      onlyNamed ? failed.map((path): PathChange => ({ path, change: 'upsert', dir: false })) : changes,
    );
    if (onlyNamed) {
      const retry: PathChange[] = [];
      for (const c of rechecked)
        retry.push(
          c.change === 'upsert' && (await isDirectory(this.#host.root, c.path))
            ? { ...c, dir: true, subtree: true }
            : c,
        );
      const outcome: JobOutcome = { ...this.#outcome(report), retry };
      if (report.reading.changedWhileSent) this.#changedWhileSent(outcome);
      return outcome;
    }
    // What is still there is sent again (recursively), what is gone becomes a deletion at its top.
    return {
      ...this.#outcome(report),
      retry: rechecked.map((c) => (c.change === 'upsert' && c.dir ? { ...c, subtree: true } : c)),
    };
  }

  async #pathsRun(spec: RunSpec & { kind: 'paths' }, runId: number): Promise<JobOutcome> {
    // rsync < 3.2.3 aborts on a deleted directory listed with entries below it: those entries are left out.
    let run = spec;
    if (!this.#caps.nestedDeletes && this.#host.config.deletion !== 'keep') {
      const kept = new Set(
        await pruneBelowDeleted(
          this.#host.root,
          spec.changes.map((c) => c.path),
        ),
      );
      run = { kind: 'paths', changes: spec.changes.filter((c) => kept.has(c.path)) };
    }
    const report = await this.#run(run, runId);
    const outcome = this.#outcome(report);
    const { reading } = report;
    if (reading.ok) return outcome;
    // 24: vanished; 2 with "invalid path from sender" (classified vanished): rsync < 3.2.3 met a directory
    // deleted after the list was made, with entries below it. Either way what is gone is deleted at the top.
    if (report.exitCode === 24 || reading.error?.kind === 'vanished') {
      outcome.retry = await this.#recheck(spec.changes);
    } else if (report.exitCode === 23 && reading.failed) {
      // Only the files rsync named are retried, when it named each one (else the whole batch is).
      const failed = named(spec.changes, reading.failed);
      if (failed.length === reading.failed.length) {
        // A file that is gone by now (its directory was renamed or deleted during the run: "link_stat ...
        // No such file or directory") is no failure: it becomes a deletion at once, like a vanished one; nor is
        // one that shrank while rsync read it: it is sent again at once.
        outcome.retry = await this.#recheck(failed);
        if (outcome.retry.every((change) => change.change === 'delete') || reading.changedWhileSent)
          this.#changedWhileSent(outcome);
      }
    }
    if (this.#host.ctx.hasListeners('paths-failed')) {
      this.#host.ctx.emit('paths-failed', {
        pairId: this.#host.pairId,
        targetId: this.id,
        paths: (outcome.retry ?? spec.changes).slice(0, 1000).map((c) => display(c.path)),
        exitCode: report.exitCode,
        error: reading.error ? { kind: reading.error.kind, message: reading.error.message } : null,
      });
    }
    return outcome;
  }

  /**
   * The files a run could not send vanished or changed while it read them: normal in a live folder, so no
   * failure. The queue re-checks them at once (a few times in a row, then a full sync takes over).
   */
  #changedWhileSent(outcome: JobOutcome): void {
    outcome.partial = false;
    outcome.error = {
      kind: 'vanished',
      class: 'transient',
      message: `some files vanished or changed while being sent to ${this.label}; sending them again`,
    };
  }

  #outcome(report: RunReport): JobOutcome {
    const { reading } = report;
    return { ok: reading.ok, exitCode: report.exitCode, error: reading.error, partial: reading.partial };
  }

  /**
   * A full sync: the first pass sends everything and deletes nothing, counting what it would delete. Then,
   * unless the guard is off or the user already agreed: on a new pair, entries the folder doesn't have are
   * somebody else's until the user says otherwise; on a known pair, the guard judges the loss.
   */
  async #fullSync(reason: string, runId: number): Promise<JobOutcome> {
    const host = this.#host;
    const deletes = host.config.deletion !== 'keep';
    const guarded = host.config.deleteGuard.enabled;
    // A folder replaced since it was watched is never mirrored without asking.
    const problem = deletes ? await host.probe.check() : null;
    if (problem) host.guard.trip(problem);
    const unlimited = !deletes || (this.#mirrorGranted && !host.guard.tripped) || (!guarded && this.paired);
    this.#mirrorGranted = false;
    const first = await this.#run({ kind: 'full', reason }, runId, { maxDelete: unlimited ? null : 0 });
    let skipped = first.reading.deletionsSkipped;
    if (!completed(first)) return this.#fullOutcome(first);
    if (skipped === null || skipped === 0) {
      if (!this.paired) await this.#markPaired([]);
      this.#existing = null;
      return this.#fullOutcome(first);
    }
    if (!this.paired) {
      if (!this.#keepGranted || !(await this.#keep(runId))) await this.#reportExisting(skipped, runId);
      return this.#fullOutcome(first);
    }
    // The folder keeps changing while this runs: each pass deletes what was judged, the next one what
    // turned up meanwhile, and a few rounds in, the rest is left to another full sync.
    let report = first;
    for (let pass = 0; pass < 3 && skipped !== null && skipped > 0; pass++) {
      // Deletions the guard still holds are judged first: released, they are queued (owed below); a mass
      // deletion trips the guard, and with it this judgement. (Judged before the guard had counted the folder
      // once, a reorganisation the watcher saw as deletions tripped it.)
      await host.guard.settle();
      const count = await host.probe.count();
      // Old paths that moves and deletions still owe (queued, or moves still being coalesced) are expected to go:
      // no loss.
      const listing =
        host.guard.tripped || skipped >= host.config.deleteGuard.minEntries
          ? splitOwed(await this.#listDeletions(runId), this.#owed())
          : { owed: 0, rest: [] };
      // A full sync of this target completed in this run: the guard watched what made the excess.
      const observed = this.queue.lastFullSyncAt !== null;
      const excess = Math.max(0, skipped - listing.owed);
      if (!(await host.guard.judgeTargetExcess(excess, count, sampleOf(listing.rest), observed)))
        return this.#fullOutcome(report);
      report = await this.#run({ kind: 'full', reason }, runId, { maxDelete: skipped });
      if (!completed(report)) return this.#fullOutcome(report);
      skipped = report.reading.deletionsSkipped;
    }
    if (skipped !== null && skipped > 0)
      this.queue.requestFullSync('more to delete after a full sync', false);
    return this.#fullOutcome(report);
  }

  /** A full sync in which files vanished completed all the same: what vanished is gone, nothing to re-send. */
  #fullOutcome(report: RunReport): JobOutcome {
    if (completed(report)) return { ok: true, exitCode: report.exitCode, error: null };
    return this.#outcome(report);
  }

  /** Protects every entry on the target that the folder doesn't have, for good (merge). */
  async #keep(runId: number): Promise<boolean> {
    const listing = await this.#run({ kind: 'full', reason: 'list existing data' }, runId, DRY_LISTING);
    if (!listing.reading.ok || listing.allDeleted === null) return false;
    const kept = topMost(listing.allDeleted.map((p) => p.replace(/\/$/, '') as RelPath));
    await this.#markPaired(kept);
    this.#existing = null;
    this.#host.log(
      'info',
      `${this.label}: keeping ${listing.allDeleted.length} entries that were there before this pair`,
    );
    return true;
  }

  /** The first sync of a new pair found entries on the target that the folder doesn't have: ask. */
  async #reportExisting(skipped: number, runId: number): Promise<void> {
    const listing = await this.#run({ kind: 'full', reason: 'list existing data' }, runId, DRY_LISTING);
    const paths = sampleOf(listing.allDeleted ?? []);
    this.#existing = {
      entries: listing.deleted || skipped,
      paths,
      suggestion: suggestSubPath(this.target, this.#host.config.folder),
    };
    const error = this.#existingError(this.#existing);
    this.#host.ctx.emit('failure', { pairId: this.#host.pairId, targetId: this.id, error });
    this.#host.log('warn', error.message);
  }

  #existingError(existing: ExistingDataState): SyncError {
    const first = existing.paths.slice(0, 3).join(', ');
    const more = existing.entries > 3 ? ', …' : '';
    return this.#host.makeError(
      'target-not-empty',
      `${this.label} already holds ${existing.entries} entr${existing.entries === 1 ? 'y' : 'ies'} that ` +
        `${existing.entries === 1 ? 'is' : 'are'} not in ${this.#host.config.folder} (${first}${more}); ` +
        'nothing was deleted and your files were sent. Choose what happens to them: Mirror (delete them) or ' +
        'Keep them in Rsync Live (Failures), or restart rsync-live with --confirm-deletions (mirror) or ' +
        `--keep-existing (keep); or pair with a sub-path instead, e.g. ${existing.suggestion}`,
    );
  }

  /** Old paths on the target that moves and deletions on their way to it still owe. */
  #owed(): Set<RelPath> {
    const owed = this.queue.owedOldPaths();
    for (const from of this.#host.movesHeld()) owed.add(from);
    return owed;
  }

  /** The paths a full sync would delete (a dry run; up to LISTING_LIMIT), for the guard. */
  async #listDeletions(runId: number): Promise<RelPath[]> {
    const listing = await this.#run({ kind: 'full', reason: 'list deletions' }, runId, DRY_LISTING);
    return listing.allDeleted ?? [];
  }

  /** A full sync that began at `startedMs` completed: did it restore what the target lost? Then remember it. */
  async #noteLoss(startedMs: number): Promise<void> {
    const { ctx, pairId, pairings, config } = this.#host;
    const had = this.#loss.state !== null;
    const lost = await this.#loss.finish(startedMs, new Date(ctx.clock.now()).toISOString());
    if (lost) this.#host.log('warn', lost.message);
    if (this.#pairing) {
      this.#pairing = { ...this.#pairing, syncedAt: new Date(startedMs).toISOString() };
      await pairings.save(config.folder, this.config.url, this.#pairing);
    }
    if (lost || had) ctx.emit('state', pairId);
  }

  async #markPaired(kept: RelPath[]): Promise<void> {
    this.#pairing = { pairedAt: new Date(this.#host.ctx.clock.now()).toISOString(), kept };
    await this.#host.pairings.save(this.#host.config.folder, this.config.url, this.#pairing);
  }

  /** Runs one rsync process for `spec`, reporting progress and the outcome (unless quiet: listings). */
  async #run(
    spec: RunSpec,
    runId: number,
    extra: { maxDelete?: number | null; dryRun?: boolean; listAll?: boolean; quiet?: boolean } = {},
  ): Promise<RunReport> {
    const host = this.#host;
    const { config, ctx } = host;
    const started = ctx.clock.now();
    const today = day(started);
    const regexExcludes = config.excludes.regex.length > 0 && spec.kind !== 'paths';
    // A subtree run looks for excluded entries only inside the new directories it sends.
    const below = spec.kind === 'subtree' ? spec.changes.map((c) => c.path) : undefined;
    const fullSyncExtra = spec.kind === 'full' && spec.reason === 'schedule' ? config.fullSync.excludes : [];
    const plan = planRun(spec, {
      folder: config.folder,
      target: this.target,
      deletion: config.deletion,
      options: this.options,
      passwordFile: this.config.passwordFile ?? null,
      excludeGlobs: [...excludeGlobs(config.excludes), ...fullSyncExtra],
      excludedPaths: regexExcludes ? await findExcluded(host.root, host.excluded, below) : [],
      keptPaths: this.#pairing?.kept ?? [],
      today,
      capabilities: this.#caps,
      maxDelete: extra.maxDelete ?? null,
      dryRun: extra.dryRun ?? false,
    });
    let rulesFile: string | null = null;
    if (plan.rulesFile && plan.rulesFileArg !== null) {
      rulesFile = await writeRulesFile(plan.rulesFile);
      plan.args[plan.rulesFileArg] = (plan.args[plan.rulesFileArg] as string).replace(
        RULES_FILE_PLACEHOLDER,
        rulesFile,
      );
    }
    const quiet = extra.quiet ?? false;
    if (!quiet) {
      ctx.emit('batch-start', {
        pairId: host.pairId,
        targetId: this.id,
        runId,
        kind: shownKind(spec.kind),
        paths: plan.listed,
      });
    }
    let files = 0;
    let deleted = 0;
    let bytes = 0;
    const sent = new Map<string, number>();
    const deletedPaths: RelPath[] = [];
    const allDeleted: RelPath[] | null = extra.listAll ? [] : null;
    const totals: Record<StatName, number> = { files: 0, bytes: 0, deleted: 0 };
    // rsync names a file before sending it: it is counted (files, bytes, sent today) once it is done.
    const tracker = new TransferTracker();
    let shownAt = -Infinity;
    const done = (file: SentFile): void => {
      files++;
      if (quiet) return;
      // File data, counted once: a 2-byte file is 2 B (not rsync's wire bytes), directories are 0.
      bytes += file.size;
      sent.set(file.path, file.size);
      ctx.emit('file', {
        pairId: host.pairId,
        targetId: this.id,
        runId,
        path: display(file.path as RelPath),
        bytes: file.size,
        deleted: false,
      });
    };
    const result = await runRsync({
      rsync: ctx.rsync,
      args: plan.args,
      input: plan.input,
      password: this.config.password ?? null,
      stall: { ms: this.options.timeoutSec * 1000, clock: ctx.clock },
      onItem: (item) => {
        if (item.type === 'stat') {
          // A bulk run (plan.eachFile false) reports its totals at the end instead of a line per file.
          if (!plan.eachFile) totals[item.name] = item.value;
          return;
        }
        if (item.type === 'file') {
          if (item.created && spec.kind === 'full' && !extra.dryRun)
            this.#loss.noteCreated(item.path as RelPath);
          if (!item.deleted) {
            for (const file of tracker.file(item)) done(file);
            return;
          }
          const rel = item.path as RelPath;
          deleted++;
          if (deletedPaths.length < LISTED) deletedPaths.push(listed(rel, item.isDir));
          if (allDeleted && allDeleted.length < LISTING_LIMIT) allDeleted.push(listed(rel, item.isDir));
          if (!quiet) this.#emitDeleted(rel, runId);
        } else if (!quiet) {
          // rsync prints a progress line per file: the UI hears of it at most every PROGRESS_EVERY_MS.
          tracker.record(item);
          const now = ctx.clock.now();
          if (now - shownAt < PROGRESS_EVERY_MS) return;
          shownAt = now;
          this.#current = tracker.view((name) => display(name as RelPath));
          if (this.#current)
            ctx.emit('progress', { pairId: host.pairId, targetId: this.id, runId, ...this.#current });
        }
      },
    });
    // The file named last is done when rsync ended well (24: others vanished, this one was read; 25: only
    // deletions were held back by --max-delete, every file was sent).
    const last = tracker.finish(result.exitCode === 0 || result.exitCode === 24 || result.exitCode === 25);
    if (last) done(last);
    if (!plan.eachFile) {
      files = totals.files;
      bytes = totals.bytes;
      deleted = totals.deleted;
    }
    if (rulesFile) await fs.rm(rulesFile, { force: true });
    const reading = readOutcome(result, {
      folder: config.folder,
      label: this.label,
      user: this.target.kind === 'local' ? null : this.target.user,
    });
    if (quiet) return { reading, exitCode: result.exitCode, deletedPaths, allDeleted, deleted };
    this.#current = null;
    for (const [file, size] of sent) this.#sent.add(today, file, size);
    if (!plan.eachFile) this.#sent.addUnnamed(today, files, bytes);
    const vanishedOnly = vanishedOrChanged(result.exitCode, reading);
    const summary: BatchSummary = {
      pairId: host.pairId,
      targetId: this.id,
      runId,
      kind: shownKind(spec.kind),
      paths: plan.listed,
      files,
      deleted,
      deletedPaths: deletedPaths.map((p) => display(p)),
      vanished: reading.vanished,
      bytes,
      ms: ctx.clock.now() - started,
      exitCode: result.exitCode,
      // Files vanishing while they are sent is normal in a live folder: they are re-checked at once.
      ok: reading.ok || vanishedOnly,
      // Why this run failed, for Activity (the target's own error keeps the incident: attempts, retries).
      error:
        reading.ok || vanishedOnly || !reading.error
          ? null
          : {
              ...host.makeError(reading.error.kind, reading.error.message, reading.error.class),
              exitCode: result.exitCode,
            },
      at: new Date(ctx.clock.now()).toISOString(),
    };
    ctx.emit('batch-end', summary);
    return { reading, exitCode: result.exitCode, deletedPaths, allDeleted, deleted };
  }

  /** After "vanished" (exit 24): what exists is sent again, what is gone is deleted at its top-most missing ancestor. */
  async #recheck(changes: PathChange[]): Promise<PathChange[]> {
    const root = this.#host.root;
    const result = new Map<RelPath, PathChange>();
    const exists = async (rel: RelPath): Promise<boolean> => {
      try {
        await fs.lstat(absolute(root, rel));
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

/** A deleted entry as run reports list it: a directory ends in "/". */
function listed(rel: RelPath, isDir: boolean): RelPath {
  return (isDir ? `${rel}/` : rel) as RelPath;
}

/** How a run's kind is reported (Activity, logs): a subtree run sends directories recursively, as a tree run. */
function shownKind(kind: RunSpec['kind']): 'paths' | 'tree' | 'full' {
  return kind === 'subtree' ? 'tree' : kind;
}

/**
 * A full sync run that did its work: ok, or only some files vanished or changed while it ran (normal in a live
 * folder: their events send them again).
 */
function completed(report: RunReport): boolean {
  return report.reading.ok || vanishedOrChanged(report.exitCode, report.reading);
}

/** A run that failed only because files vanished (exit 24) or changed while it sent them: no failure. */
function vanishedOrChanged(exitCode: number | null, reading: RunReading): boolean {
  return exitCode === 24 || reading.changedWhileSent;
}

async function isDirectory(root: Buffer, rel: RelPath): Promise<boolean> {
  try {
    return (await fs.lstat(absolute(root, rel))).isDirectory();
  } catch {
    return false;
  }
}

/** The changes whose paths rsync named. */
function named(changes: PathChange[], paths: RelPath[]): PathChange[] {
  const set = new Set(paths);
  return changes.filter((change) => set.has(change.path));
}

export { suggestSubPath };

/** Writes NUL-separated filter rules to a private temporary file for --filter=merge. */
async function writeRulesFile(rules: Buffer): Promise<string> {
  const file = path.join(os.tmpdir(), `rsync-live-rules-${process.pid}-${randomUUID()}`);
  await fs.writeFile(file, rules, { mode: 0o600 });
  return file;
}
