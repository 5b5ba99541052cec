// What happened to one path, as it travels from the coalescer through the delete guard to a target's queue,
// and the one rule for combining two changes to the same path (lsyncd's single combiner table). Pure.
import type { RelPath } from './byte-path.js';

/**
 * upsert: send what is there; delete: remove it; tree: a directory was replaced, re-send it recursively;
 * move: it was renamed here from `from` inside the folder: send it using the old copy on the target as the
 * basis, then delete `from` (never a deletion for the delete guard: nothing is lost).
 */
export type Change = 'upsert' | 'delete' | 'tree' | 'move';

export interface PathChange {
  path: RelPath;
  change: Change;
  dir: boolean;
  /** For a delete: how many entries it removes (a directory counts its subtree); the delete guard weighs it. */
  entries?: number;
  /**
   * The path this one was moved from: once this change is on the target, `from` is deleted there (a path run
   * with --delete-missing-args: if `from` exists in the folder again, it is sent instead).
   */
  from?: RelPath;
  /**
   * For an upsert of a directory that appeared since the last sync (created or moved in, see fresh-dirs.ts):
   * send it with everything below it in one recursive run, deleting nothing, instead of listing each entry.
   */
  subtree?: true;
  /**
   * For a subtree upsert: how many entries below it the coalescer saw settle, which its recursive send covers
   * (a hint for sharing work between a target's runs: see run-share.ts).
   */
  covers?: number;
}

/**
 * The newer change `next` to a path that already has `prev` pending. Every place that holds changes by path
 * (the coalescer, a target's queue and its retries, the delete guard's held deletions) combines them here:
 *
 * | prev \ next    | upsert file | upsert dir | tree | delete                                   |
 * |----------------|-------------|------------|------|------------------------------------------|
 * | none / upsert  | upsert      | upsert (3) | tree | delete                                   |
 * | tree           | tree (1)    | tree (1)   | tree | delete                                   |
 * | delete         | upsert      | tree (2)   | tree | delete, the larger entry count, dir kept  |
 *
 * (1) a replaced directory stays a tree change through later events on it (a chmod must not undo it; a
 *     "changed" event does not say whether its path is a directory, and a directory replaced by a file
 *     arrives as a delete first);
 * (2) a directory created where a deletion had not gone out yet replaces the old one: what it held must go.
 * (3) a subtree upsert (a new directory, sent recursively) stays one through a later upsert of the directory.
 * A delete always wins: even a name created and deleted in one window is deleted on the target (it may have
 * replaced an existing file, and a full sync may have copied it meanwhile).
 *
 * Moves: a move to a path replaces whatever was pending there; a later upsert keeps it a move (the move's run
 * sends what changed); a later tree or delete wins but keeps `from`, whose deletion is still owed. A move
 * replacing one that owed another `from` leaves that deletion to orphanedDeletion.
 */
export function combine(prev: PathChange | undefined, next: PathChange): PathChange {
  const from = next.from ?? prev?.from;
  const combined = combineChange(prev, next);
  return from !== undefined && from !== combined.path ? { ...combined, from } : combined;
}

function combineChange(prev: PathChange | undefined, next: PathChange): PathChange {
  if (next.change === 'move') return next;
  if (prev?.change === 'move' && next.change === 'upsert') return prev;
  // A later event on a new directory (a chmod) must not narrow its recursive send to the directory alone.
  if (prev?.subtree && next.change === 'upsert' && next.dir && !next.subtree) return prev;
  if (next.change === 'delete') {
    if (prev?.change !== 'delete') return next;
    return {
      ...next,
      dir: next.dir || prev.dir,
      entries: Math.max(next.entries ?? 1, prev.entries ?? 1),
    };
  }
  if (next.change === 'upsert' && (prev?.change === 'tree' || (next.dir && prev?.change === 'delete'))) {
    return { path: next.path, change: 'tree', dir: true };
  }
  return next;
}

/**
 * The deletion `combine(prev, next)` no longer carries: `prev` owed the deletion of the path it was moved from,
 * and `next` is another move onto the same name (`mv a b; mv c b`: what was a is overwritten, so a's copy on the
 * target must go too). Whoever holds changes by path keeps it as a change of its own, older than anything held
 * at that path since.
 */
export function orphanedDeletion(prev: PathChange | undefined, next: PathChange): PathChange | null {
  if (prev?.from === undefined || next.change !== 'move' || next.from === prev.from) return null;
  return { path: prev.from, change: 'delete', dir: prev.dir };
}

/**
 * Adds `change` to changes held by path (a target's queue), combined with what is held there; `older`: it
 * happened before what is held (a retry put back). A deletion a move orphaned is held too (orphanedDeletion).
 * The path moves to the end of the map, which stays in arrival order.
 */
export function holdChange(held: Map<RelPath, PathChange>, change: PathChange, older = false): void {
  const current = held.get(change.path);
  const [prev, next] = older && current ? [change, current] : [current, change];
  const orphan = orphanedDeletion(prev, next);
  held.delete(change.path);
  held.set(change.path, combine(prev, next));
  if (orphan) {
    const since = held.get(orphan.path);
    held.set(orphan.path, since ? combine(orphan, since) : orphan);
  }
}

/**
 * The change deletes or replaces an old copy on the target elsewhere than its path's new content: a deletion, a
 * move, or a change still owing the deletion of the path it came from. Such changes are cheap and travel first.
 */
export function owesOldPath(change: PathChange): boolean {
  return change.change === 'move' || owedOldPath(change) !== null;
}

/** The old path on the target that `change` deletes or replaces (a deletion's own, a move's `from`), or null. */
export function owedOldPath(change: PathChange): RelPath | null {
  if (change.change === 'delete') return change.path;
  if (change.from !== undefined) return change.from;
  return null;
}

/** Adds the old paths `changes` owe (owedOldPath) to `owed`. */
export function addOwedOldPaths(owed: Set<RelPath>, changes: Iterable<PathChange>): void {
  for (const change of changes) {
    const old = owedOldPath(change);
    if (old !== null) owed.add(old);
  }
}

/** Entries a list of changes deletes (a directory delete counts its subtree). */
export function deletedEntries(changes: Iterable<PathChange>): number {
  let total = 0;
  for (const change of changes) if (change.change === 'delete') total += change.entries ?? 1;
  return total;
}
