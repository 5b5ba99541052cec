// The delete guard: deletions pass through here before any target sees them, and go out only when they are
// not a loss the user may not have meant. It judges loss, not operations:
//   - the folder gone, replaced (another device or inode: an unmounted disk, a remount, a renamed home) or
//     unmounted always trips;
//   - losing at least `minEntries` entries and more than `maxShare` of the folder within the window trips. Loss
//     is the folder's net drop in entries: its highest level within the window minus what it holds now, so a
//     rename or move (an entry leaves one name and appears under another) is no loss, however large, while
//     one `rm -rf`, many small deletes, or deletes that race the count all are;
//   - everything else (emptying a small folder, a reorganisation) goes out after a short quiet period.
// A tripped guard holds every deletion, lists what it holds, survives restarts (GuardStore), clears itself
// when the folder is back as it was, and is otherwise cleared by the user's confirmation. Pure logic on the
// injected Clock; the folder is reached only through the FolderProbe passed in.
import type { DeleteGuardReason, DeleteGuardState } from '../shared/state.js';
import { ancestors, display, type RelPath } from './byte-path.js';
import type { Clock } from './clock.js';
import type { WatchEvent } from './coalescer.js';
import type { FolderProbe } from './folder-probe.js';
import type { GuardStore } from './guard-store.js';
import { combine, orphanedDeletion, type PathChange } from './path-change.js';

export interface GuardLimits {
  enabled: boolean;
  maxShare: number;
  minEntries: number;
}

/** How long deleting must pause before held deletions are judged (one `rm -rf` is judged whole). */
export const DELETE_QUIET_MS = 250;
/** The longest deletions wait while deleting goes on without a pause (a delete loop that never stops). */
export const DELETE_HOLD_MAX_MS = 10_000;
/** The window over which loss adds up. */
export const LOSS_WINDOW_MS = 60_000;
/** While tripped: how often the folder is checked for having come back. */
export const RECHECK_MS = 2_000;
/** How many held paths the state lists by name. */
export const LISTED_PATHS = 100;

/** True when losing `loss` of the `before` entries the folder had is a mass delete under these limits. */
export function isMassLoss(loss: number, before: number, limits: GuardLimits): boolean {
  if (!limits.enabled || loss < limits.minEntries || before <= 0) return false;
  return loss / before > limits.maxShare;
}

export function howToConfirm(folder: string): string {
  return (
    'check the disk; if the deletions are intended, confirm them in Rsync Live (Failures → Confirm deletions), ' +
    `run \`rsync-live confirm-deletions ${shellWord(folder)}\`, or restart rsync-live with --confirm-deletions`
  );
}

export function guardMessage(reason: DeleteGuardReason, folder: string, detail = ''): string {
  const what: Record<DeleteGuardReason, string> = {
    'folder-missing': `the folder ${folder} is gone (unmounted disk, renamed or deleted?)`,
    'folder-replaced': `the folder ${folder} was replaced by another directory (a disk mounted or unmounted over it?)`,
    'folder-unmounted': `the file system of ${folder} was unmounted`,
    'mass-delete': `${detail || 'most of the entries'} of ${folder} would be deleted on the backup`,
  };
  return `deletions paused: ${what[reason]}; nothing is deleted on the targets until you confirm: ${howToConfirm(folder)}`;
}

/** A folder path as one shell word in a suggested command (quoted only when it needs it). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export interface DeleteGuardOptions {
  folder: string;
  limits: GuardLimits;
  clock: Clock;
  probe: FolderProbe;
  /** Where a tripped guard is kept across restarts (null: memory only). */
  store: GuardStore | null;
  /** Deletions judged safe: they go to every target's queue. */
  release: (changes: PathChange[]) => void;
  /** The guard tripped (or was restored tripped): the pair pulls queued deletions back and reports it. */
  onTrip: (state: DeleteGuardState) => void;
  /** The guard cleared: confirmed by the user, or the folder came back as it was. */
  onClear: (how: 'confirmed' | 'recovered', reason: DeleteGuardReason) => void;
  /** Something observable changed (held counts, state). */
  onChange: () => void;
}

interface Tripped {
  reason: DeleteGuardReason;
  message: string;
  since: string;
  /** The folder's entries before the loss, to tell when it is back (mass-delete). */
  reference: number | null;
  /** Entries a full sync found on the target that the folder no longer has (held there, not listed here). */
  targetExcess: number;
  /** Paths a full sync would delete, when it listed them. */
  targetSample: string[];
}

/** The folder's level (entries) over time, in 100 ms buckets: enough to know its highest level in the window. */
interface Bucket {
  at: number;
  max: number;
  last: number;
}

export class DeleteGuard {
  readonly #o: DeleteGuardOptions;
  /** Deletions waiting to be judged, or (tripped) for the user. Below a held directory only the directory. */
  readonly #held = new Map<RelPath, PathChange>();
  #tripped: Tripped | null = null;
  /** Estimated entries in the folder: counted now and then, moved by every event in between. */
  #level: number | null = null;
  #buckets: Bucket[] = [];
  #quietTimer: unknown = null;
  #firstHeldAt: number | null = null;
  #recheckTimer: unknown = null;
  #judging: Promise<void> | null = null;
  #judgeAgain = false;
  #stopped = false;

  constructor(options: DeleteGuardOptions) {
    this.#o = options;
  }

  get enabled(): boolean {
    return this.#o.limits.enabled;
  }

  get tripped(): boolean {
    return this.#tripped !== null;
  }

  get reason(): DeleteGuardReason | null {
    return this.#tripped?.reason ?? null;
  }

  /** Entries the held deletions remove (an `rm -rf` of 1,400 files is 1,400), plus what a full sync found. */
  get heldEntries(): number {
    let total = this.#tripped?.targetExcess ?? 0;
    for (const change of this.#held.values()) total += change.entries ?? 1;
    return total;
  }

  state(): DeleteGuardState | null {
    const t = this.#tripped;
    if (!t) return null;
    const listed = [...this.#held.keys()].slice(0, LISTED_PATHS).map((path) => {
      const change = this.#held.get(path);
      return change?.dir ? `${display(path)}/` : display(path);
    });
    const paths = listed.length > 0 ? listed : t.targetSample.slice(0, LISTED_PATHS);
    const total = this.#held.size > 0 ? this.#held.size : t.targetExcess;
    return {
      reason: t.reason,
      message: t.message,
      since: t.since,
      held: this.heldEntries,
      paths,
      pathsTotal: total,
    };
  }

  /**
   * Counts the folder once the watch is up: the level later losses are measured from. `known`: the count the
   * watcher's walk already took (Watcher.entriesBelow), taken as it is instead of walking the tree again (on
   * 100,000 directories a second walk costs seconds of CPU while the start-up sync runs).
   */
  async start(known: number | null = null): Promise<void> {
    if (!this.enabled) return;
    const count = known ?? (await this.#o.probe.count());
    this.#rebase(count);
  }

  /** Restores a guard that was tripped when the previous run ended. */
  async restore(): Promise<DeleteGuardState | null> {
    if (!this.enabled || !this.#o.store) return null;
    const kept = await this.#o.store.load();
    if (!kept) return null;
    this.#tripped = {
      reason: kept.reason,
      message: kept.message,
      since: kept.since,
      reference: kept.reference ?? null,
      targetExcess: kept.held ?? 0,
      targetSample: kept.paths ?? [],
    };
    this.#scheduleRecheck();
    const state = this.state() as DeleteGuardState;
    this.#o.onTrip(state);
    return state;
  }

  /** Forgets a kept guard (the user started with --confirm-deletions). */
  async forget(): Promise<void> {
    await this.#o.store?.save(null);
  }

  /** Every watcher event moves the folder's estimated level: the loss rule needs its recent highest level. */
  noteEvent(event: WatchEvent): void {
    if (!this.enabled || this.#level === null) return;
    if (event.kind === 'created') this.#setLevel(this.#level + 1);
    else if (event.kind === 'removed') this.#setLevel(Math.max(0, this.#level - (event.entries ?? 1)));
  }

  /**
   * A name that is back (created again, renamed over) while its deletion is held must not be deleted when the
   * hold ends: its held deletion goes, and combine() turns a directory back at a deleted name into a tree.
   */
  supersede(changes: PathChange[]): PathChange[] {
    if (this.#held.size === 0) return changes;
    let changed = false;
    const orphans: PathChange[] = [];
    const result = changes.map((change) => {
      const held = this.#held.get(change.path);
      if (!held) return change;
      this.#held.delete(change.path);
      changed = true;
      // mv a b; rm b; mv c b: the held deletion of b also owed a's; the move onto b leaves that one held.
      const orphan = orphanedDeletion(held, change);
      if (orphan) orphans.push(orphan);
      return combine(held, change);
    });
    if (changed) {
      this.#o.onChange();
      if (this.#tripped) this.#judgeSoon();
    }
    this.hold(orphans);
    return result;
  }

  /** Deletions from the coalescer (or pulled back from the queues): held until judged. */
  hold(deletes: readonly PathChange[]): void {
    if (deletes.length === 0) return;
    for (const change of deletes) this.#held.set(change.path, combine(this.#held.get(change.path), change));
    this.#foldBelowHeldDirs();
    this.#o.onChange();
    if (this.#tripped) return;
    const now = this.#o.clock.now();
    this.#firstHeldAt ??= now;
    if (this.#quietTimer !== null) this.#o.clock.clearTimeout(this.#quietTimer);
    this.#quietTimer = null;
    if (now - this.#firstHeldAt >= DELETE_HOLD_MAX_MS) {
      this.#judgeSoon();
      return;
    }
    this.#quietTimer = this.#o.clock.setTimeout(() => {
      this.#quietTimer = null;
      this.#judgeSoon();
    }, DELETE_QUIET_MS);
  }

  /** Trips the guard (the folder is gone, replaced or unmounted; or a full sync found too much to delete). */
  trip(reason: DeleteGuardReason, detail = '', extra: { excess?: number; sample?: string[] } = {}): void {
    if (!this.enabled || this.#stopped) return;
    if (this.#tripped) {
      if (extra.excess !== undefined) {
        this.#tripped.targetExcess = extra.excess;
        this.#tripped.targetSample = extra.sample ?? this.#tripped.targetSample;
        this.#save();
        this.#o.onChange();
      }
      return;
    }
    const since = new Date(this.#o.clock.now()).toISOString();
    this.#tripped = {
      reason,
      message: guardMessage(reason, this.#o.folder, detail),
      since,
      reference: reason === 'mass-delete' ? this.#highest() : null,
      targetExcess: extra.excess ?? 0,
      targetSample: extra.sample ?? [],
    };
    this.#cancelQuiet();
    this.#save();
    this.#scheduleRecheck();
    this.#o.onTrip(this.state() as DeleteGuardState);
  }

  /** The user confirmed: every held deletion goes out and the guard clears. Returns the reason it had. */
  confirm(): DeleteGuardReason | null {
    const reason = this.#tripped?.reason ?? null;
    this.#clear();
    this.#releaseHeld();
    if (reason !== null) this.#o.onClear('confirmed', reason);
    return reason;
  }

  /**
   * A full sync (run without deleting) found `excess` entries on the target that the folder no longer has,
   * with `count` entries in the folder (a real count). True when they may be deleted; else the guard trips
   * (or stays).
   *
   * `observed`: the folder was watched since this target was last complete (a full sync of this run
   * completed). Then the excess is what the folder's changes left behind, moves included (in a reorganisation
   * the old names wait on the target until their deletions or moves are carried out), and it is judged as
   * loss: the folder's highest level in the window against its real count now, not rebased first (so a loss
   * the watcher never reported counts too). Otherwise (a start-up sync, `--once`) the guard has not seen what
   * happened and judges the excess itself against what the target would hold.
   */
  async judgeTargetExcess(
    excess: number,
    count: number,
    sample: string[],
    observed = false,
  ): Promise<boolean> {
    if (!this.enabled) return true;
    if (this.#tripped) {
      this.trip(this.#tripped.reason, '', { excess, sample });
      return false;
    }
    if (!isMassLoss(excess, excess + count, this.#o.limits)) return true;
    if (observed && this.#level !== null) {
      const steady = await this.#steadyCount(count);
      if (this.#tripped || this.#stopped) return false;
      const before = this.#highest();
      const loss = before - steady;
      this.#rebase(steady);
      if (!isMassLoss(loss, before, this.#o.limits)) return true;
    }
    this.trip(
      'mass-delete',
      `a full sync found ${excess} entries on the backup that are no longer in the folder (of ${excess + count})`,
      {
        excess,
        sample,
      },
    );
    return false;
  }

  /**
   * Resolves once everything held so far has been judged (`whenIdle`, `--once`); without `now`, only once
   * the judging under way is done (what still waits for its quiet period keeps waiting).
   */
  async settle(now = true): Promise<void> {
    if (now && this.#quietTimer !== null) {
      this.#cancelQuiet();
      this.#judgeSoon();
    }
    while (this.#judging) await this.#judging;
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelQuiet();
    if (this.#recheckTimer !== null) this.#o.clock.clearTimeout(this.#recheckTimer);
    this.#recheckTimer = null;
  }

  whenSaved(): Promise<void> {
    return this.#o.store?.whenWritten() ?? Promise.resolve();
  }

  #judgeSoon(): void {
    if (this.#judging) {
      this.#judgeAgain = true;
      return;
    }
    this.#judging = this.#judge()
      .catch(() => undefined)
      .finally(() => {
        this.#judging = null;
        if (this.#judgeAgain && !this.#stopped) {
          this.#judgeAgain = false;
          this.#judgeSoon();
        }
      });
  }

  /** Judges what is held now: trip, release, or (tripped) see whether the folder is back as it was. */
  async #judge(): Promise<void> {
    const judged = new Map(this.#held);
    this.#firstHeldAt = null;
    const problem = await this.#o.probe.check();
    if (this.#stopped) return;
    if (problem) {
      this.trip(problem);
      return;
    }
    const limits = this.#o.limits;
    if (this.#tripped) {
      await this.#maybeRecover();
      return;
    }
    if (this.#level === null) this.#rebase(await this.#o.probe.count());
    let loss = this.#highest() - (this.#level ?? 0);
    // Count for real when the estimate says this may be a mass delete, or when the deletions alone are large
    // enough to be one (the estimate drifts with events the watcher reported loosely).
    if (loss >= limits.minEntries || this.#weight(judged) >= limits.minEntries) {
      this.#rebase(await this.#steadyCount(await this.#o.probe.count()));
      if (this.#stopped || this.#tripped) return;
      loss = this.#highest() - (this.#level ?? 0);
      const before = this.#highest();
      if (isMassLoss(loss, before, limits)) {
        this.trip('mass-delete', `${loss} of ${before} entries`);
        return;
      }
    }
    const release: PathChange[] = [];
    for (const [path, change] of judged) {
      if (this.#held.get(path) !== change) continue; // superseded or folded meanwhile: judged next round
      this.#held.delete(path);
      release.push(change);
    }
    if (release.length > 0) this.#o.release(release);
    if (this.#held.size > 0) this.#judgeAgain = true;
    this.#o.onChange();
  }

  /** While tripped: the folder back as it was (same directory, its entries back) clears the guard. */
  async #maybeRecover(): Promise<void> {
    const t = this.#tripped;
    if (!t) return;
    if (t.reason === 'mass-delete') {
      if (t.reference === null || t.targetExcess > 0) return;
      const count = await this.#o.probe.count();
      if (this.#tripped !== t) return;
      this.#rebase(count);
      if (isMassLoss(t.reference - count, t.reference, this.#o.limits)) return;
    }
    // The same folder is back (or its entries are): what is still held is an ordinary deletion now.
    const reason = t.reason;
    this.#clear();
    this.#o.onClear('recovered', reason);
    if (this.#held.size > 0) this.#judgeSoon();
  }

  #scheduleRecheck(): void {
    if (this.#recheckTimer !== null || this.#stopped) return;
    this.#recheckTimer = this.#o.clock.setTimeout(() => {
      this.#recheckTimer = null;
      if (!this.#tripped || this.#stopped) return;
      this.#judgeSoon();
      this.#scheduleRecheck();
    }, RECHECK_MS);
  }

  #clear(): void {
    if (!this.#tripped) return;
    this.#tripped = null;
    if (this.#recheckTimer !== null) this.#o.clock.clearTimeout(this.#recheckTimer);
    this.#recheckTimer = null;
    // The loss that tripped it is accepted (or undone): later losses are measured from the folder as it is now.
    this.#buckets = [];
    if (this.#level !== null) this.#setLevel(this.#level);
    this.#save();
    this.#o.onChange();
  }

  #releaseHeld(): void {
    const release = [...this.#held.values()];
    this.#held.clear();
    if (release.length > 0) this.#o.release(release);
  }

  #save(): void {
    const t = this.#tripped;
    void this.#o.store?.save(
      t && {
        reason: t.reason,
        message: t.message,
        since: t.since,
        reference: t.reference,
        held: this.heldEntries,
        paths: this.state()?.paths ?? [],
      },
    );
  }

  #cancelQuiet(): void {
    if (this.#quietTimer !== null) this.#o.clock.clearTimeout(this.#quietTimer);
    this.#quietTimer = null;
  }

  /**
   * What was deleted below a held directory is covered by it and counted into it. The counts add up: a
   * directory's `entries` are what the watcher still knew under it when it went (each deletion reported
   * before it already left that count), so the deletions held separately are not in it.
   */
  #foldBelowHeldDirs(): void {
    const below = new Map<RelPath, number>();
    for (const [path, change] of this.#held) {
      let cover: RelPath | null = null;
      for (const dir of ancestors(path)) if (this.#held.get(dir)?.dir) cover = dir;
      if (cover === null) continue;
      this.#held.delete(path);
      below.set(cover, (below.get(cover) ?? 0) + (change.entries ?? 1));
    }
    for (const [dir, count] of below) {
      const held = this.#held.get(dir);
      if (held) this.#held.set(dir, { ...held, entries: (held.entries ?? 1) + count });
    }
  }

  #weight(changes: Map<RelPath, PathChange>): number {
    let total = 0;
    for (const change of changes.values()) total += change.entries ?? 1;
    return total;
  }

  /**
   * A count that shows a mass loss is taken again (twice) and the largest kept: a walk that races renames
   * misses what moved behind it (a directory renamed from a part not yet walked into one already walked), so
   * in a reorganisation one count can show most of the folder gone; a real loss stays in every count. Taken
   * before the estimate is rebased, so an undercount never shifts the window's levels down.
   */
  async #steadyCount(first: number): Promise<number> {
    const limits = this.#o.limits;
    let count = first;
    for (let i = 0; i < 2 && isMassLoss(this.#highest() - count, this.#highest(), limits); i++) {
      count = Math.max(count, await this.#o.probe.count());
    }
    return count;
  }

  /** A real count: the estimate takes it, and the levels recorded in the window move with it. */
  #rebase(count: number): void {
    // An estimate too high has drifted over time (a name reported created twice): the levels it recorded
    // move down with it. One too low was only late (what a moved directory holds is reported after the
    // directory left its old name): the folder's earlier levels were right, so they stay.
    if (this.#level !== null && count < this.#level) {
      const drift = count - this.#level;
      for (const bucket of this.#buckets) {
        bucket.max = Math.max(0, bucket.max + drift);
        bucket.last = Math.max(0, bucket.last + drift);
      }
    }
    this.#setLevel(count);
  }

  #setLevel(level: number): void {
    this.#level = level;
    const now = this.#o.clock.now();
    const last = this.#buckets.at(-1);
    if (last && now - last.at < 100) {
      last.max = Math.max(last.max, level);
      last.last = level;
    } else {
      this.#buckets.push({ at: now, max: level, last: level });
    }
    // Keep the window, plus the newest bucket before it: the level the window started from.
    const from = now - LOSS_WINDOW_MS;
    while (this.#buckets.length > 1 && (this.#buckets[1]?.at ?? now) < from) this.#buckets.shift();
  }

  /** The folder's highest level within the window (the level it started the window with counts too). */
  #highest(): number {
    const from = this.#o.clock.now() - LOSS_WINDOW_MS;
    let highest = this.#level ?? 0;
    for (const bucket of this.#buckets)
      highest = Math.max(highest, bucket.at < from ? bucket.last : bucket.max);
    return highest;
  }
}
