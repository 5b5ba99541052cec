// New directories as one recursive send: the rules by which the coalescer turns a directory that appeared
// since the last sync (created, or moved in from outside) and the entries settled below it into ONE upsert
// with `subtree` (rsync --recursive on that directory) instead of a list of every path below it. Pure
// functions over path sets; the coalescer holds the state (which fresh directories are held, what each one
// parked).
//
// The rules, in order of precedence:
// - a settled upsert below a fresh directory that is still held is parked there instead of being sent (the
//   directory's send will cover it); deletions and moves are never parked: they travel as before, through
//   the delete guard;
// - a fresh directory is held while events arrive below it, up to its hold limit (so that a long burst into
//   one new directory still streams); once due, it waits (again up to the limit) for files still being written
//   below it (close-write holding), so no half-written file is sent by its recursive run;
// - released with nothing held below it, it becomes a subtree upsert and what it parked is dropped (covered);
//   released at its limit with something still held below it, it is sent as a plain directory and what it
//   parked goes on as individual changes (parked in turn in a fresh directory further up, if one is held).
import { ancestors, type RelPath } from './byte-path.js';
import type { PathChange } from './path-change.js';

/**
 * How long a fresh directory may gather what is written below it before it is sent: a burst into one new
 * directory is sent recursively if it is done within this time, and streams (directory by directory) after it.
 */
export const FRESH_HOLD_MS = 1_000;

/** The nearest proper ancestor of `path` in `a` or in `b`, or null. */
export function nearestFresh(
  path: RelPath,
  a: ReadonlySet<RelPath>,
  b: ReadonlySet<RelPath>,
): RelPath | null {
  if (a.size === 0 && b.size === 0) return null;
  for (const dir of ancestors(path)) if (a.has(dir) || b.has(dir)) return dir;
  return null;
}

/** A change the send of a fresh directory above it covers: an upsert that is not a move. */
export function coverable(change: PathChange): boolean {
  return change.change === 'upsert' && change.from === undefined;
}

/** How deep a path lies (the number of its proper ancestors). */
export function depth(path: RelPath): number {
  let n = 0;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) n++;
  return n;
}

/**
 * Among `candidates` (fresh directories due now), those with something still held below them: `held` lists
 * every path still held. A kept candidate counts as held for the candidates above it (`keep` decides, deepest
 * first, whether a busy candidate is kept: before its hold limit).
 */
export function busyFresh(
  candidates: readonly RelPath[],
  held: Iterable<RelPath>,
  keep: (dir: RelPath) => boolean,
): { kept: Set<RelPath>; busy: Set<RelPath> } {
  const busy = new Set<RelPath>();
  const kept = new Set<RelPath>();
  if (candidates.length === 0) return { kept, busy };
  const set = new Set(candidates);
  for (const path of held) for (const dir of ancestors(path)) if (set.has(dir)) busy.add(dir);
  const deepestFirst = [...candidates].sort((a, b) => depth(b) - depth(a));
  for (const dir of deepestFirst) {
    if (!busy.has(dir) || !keep(dir)) continue;
    kept.add(dir);
    for (const up of ancestors(dir)) if (set.has(up)) busy.add(up);
  }
  for (const dir of kept) busy.delete(dir);
  return { kept, busy };
}
