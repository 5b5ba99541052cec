// Tells when a target lost data this pair had put there and not deleted since (another pair's sync into the
// same place, a foreign tool, a server restored from an older backup): a full sync then creates entries on the
// target whose copies in the folder have not changed since before this target's last complete full sync. That
// sync left them on the target (unchanged in the folder, so sent or already there), and a deletion by this
// pair needs them gone from the folder (or changed: a rename, a write or a chmod moves the ctime). So they were
// lost on the target. The full sync has restored them; the target shows a warning until a later full sync
// finds it whole. One instance per target; the reference time is kept with the target's pairing record.
import fs from 'node:fs/promises';
import type { LostDataState } from '../shared/state.js';
import { absolute, ancestors, display, topMost, type RelPath } from './byte-path.js';

/**
 * Changes this close before the reference do not count: the file system's ctime and the clock are read
 * separately (and coarsely), and a file written as the last full sync began may have missed it.
 */
export const LOSS_MARGIN_MS = 2_000;
/** The most created entries one full sync looks at (beyond it, the first ones, and the count says "at least"). */
export const LOSS_CHECK_LIMIT = 100_000;
/** How many lost names the warning lists. */
export const LOST_LISTED = 100;

/**
 * The entries of `created` whose copy in the folder, and every directory above it, has not changed (ctime)
 * since before `referenceMs`. The directories count because a renamed or moved directory gets a new ctime while
 * the entries inside keep theirs: under its new name they are new to the target, not lost. (A directory's ctime
 * also moves when an entry is added or removed in it: a loss there goes unreported, never a move reported.)
 */
export async function findLost(
  root: Buffer,
  created: readonly RelPath[],
  referenceMs: number,
): Promise<RelPath[]> {
  const before = referenceMs - LOSS_MARGIN_MS;
  const unchanged = new Map<RelPath, Promise<boolean>>();
  const isUnchanged = (rel: RelPath): Promise<boolean> => {
    let known = unchanged.get(rel);
    if (!known) {
      known = fs.lstat(absolute(root, rel)).then(
        (st) => st.ctimeMs < before,
        () => false, // gone meanwhile: not this check's business
      );
      unchanged.set(rel, known);
    }
    return known;
  };
  const lost: RelPath[] = [];
  for (let i = 0; i < created.length; i += 64) {
    const slice = created.slice(i, i + 64);
    const old = await Promise.all(
      slice.map(async (rel) => {
        if (!(await isUnchanged(rel))) return false;
        for (const dir of ancestors(rel)) if (!(await isUnchanged(dir))) return false;
        return true;
      }),
    );
    slice.forEach((rel, j) => {
      if (old[j]) lost.push(rel);
    });
  }
  return lost;
}

export function lostMessage(target: string, entries: number, paths: readonly string[]): string {
  const first = paths.slice(0, 3).join(', ');
  const more = entries > 3 ? ', …' : '';
  const what = `${entries} entr${entries === 1 ? 'y' : 'ies'}`;
  return (
    `${target} had lost ${what} that this pair had put there and not deleted (${first}${more}); the full sync ` +
    'restored them. Something else deletes on this target (another pair or program syncing into the same ' +
    'place, a cleanup job, a restored server): check what else writes there. The warning stays until a later ' +
    'full sync finds the target whole (Sync now in Rsync Live, or the start-up sync when rsync-live restarts).'
  );
}

/** One target's check: fed by its full syncs, read by its state. */
export class TargetLoss {
  readonly #root: Buffer;
  readonly #label: string;
  /** Start of the last complete full sync (ms), null before the first one. */
  #reference: number | null = null;
  #created: RelPath[] = [];
  #state: LostDataState | null = null;

  constructor(root: Buffer, label: string) {
    this.#root = root;
    this.#label = label;
  }

  /** The last complete full sync's start, as kept with the pairing (ISO), or null. */
  set reference(iso: string | null | undefined) {
    const ms = iso ? Date.parse(iso) : NaN;
    this.#reference = Number.isFinite(ms) ? ms : null;
  }

  get state(): LostDataState | null {
    return this.#state;
  }

  /** A full sync begins: what it creates on the target is collected from now on. */
  begin(): void {
    this.#created = [];
  }

  /** The full sync created this entry on the target (rsync's itemize "+++++++++"). */
  noteCreated(rel: RelPath): void {
    if (this.#created.length < LOSS_CHECK_LIMIT) this.#created.push(rel);
  }

  /**
   * The full sync that began at `startedMs` completed: what it created is judged against the previous
   * reference, and `startedMs` becomes the next one. Returns the new warning, or null when the target was
   * whole (the warning clears).
   */
  async finish(startedMs: number, at: string): Promise<LostDataState | null> {
    const created = this.#created;
    this.#created = [];
    const reference = this.#reference;
    this.#reference = startedMs;
    const lost = reference === null ? [] : await findLost(this.#root, created, reference);
    if (lost.length === 0) {
      this.#state = null;
      return null;
    }
    const paths = topMost(lost)
      .slice(0, LOST_LISTED)
      .map((p) => display(p));
    this.#state = {
      entries: lost.length,
      paths,
      at,
      message: lostMessage(this.#label, lost.length, paths),
    };
    return this.#state;
  }
}
