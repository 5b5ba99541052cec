// The one rule for combining two changes to a path, as a table: every (previous, next) pair.
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { combine, holdChange, orphanedDeletion, type PathChange } from '../../electron/engine/path-change.js';

const p = 'a' as RelPath;
const upsertFile: PathChange = { path: p, change: 'upsert', dir: false };
const upsertDir: PathChange = { path: p, change: 'upsert', dir: true };
const tree: PathChange = { path: p, change: 'tree', dir: true };
const delFile: PathChange = { path: p, change: 'delete', dir: false, entries: 1 };
const delDir: PathChange = { path: p, change: 'delete', dir: true, entries: 7 };
const move: PathChange = { path: p, change: 'move', dir: false, from: 'old' as RelPath };

describe('combine(prev, next)', () => {
  const table: [string, PathChange | undefined, PathChange, PathChange][] = [
    ['nothing + upsert', undefined, upsertFile, upsertFile],
    ['nothing + delete', undefined, delDir, delDir],
    ['upsert + upsert', upsertFile, upsertFile, upsertFile],
    ['upsert + tree', upsertDir, tree, tree],
    ['upsert + delete', upsertFile, delFile, delFile],
    ['tree + upsert dir (chmod)', tree, upsertDir, tree],
    ['tree + upsert of unknown kind', tree, upsertFile, tree],
    ['tree + delete', tree, delFile, delFile],
    ['delete + upsert file (file back)', delFile, upsertFile, upsertFile],
    ['delete dir + upsert dir (replaced)', delDir, upsertDir, tree],
    ['delete + tree', delFile, tree, tree],
    ['delete dir + delete of unknown kind', delDir, delFile, { ...delFile, dir: true, entries: 7 }],
    ['delete + delete counts the larger', delFile, { ...delFile, entries: 3 }, { ...delFile, entries: 3 }],
    ['anything + move (moved onto it)', delFile, move, move],
    ['move + upsert stays a move', move, upsertFile, move],
    ['move + delete keeps the old path owed', move, delFile, { ...delFile, from: 'old' as RelPath }],
    ['move + tree keeps the old path owed', move, tree, { ...tree, from: 'old' as RelPath }],
  ];
  it.each(table)('%s', (_name, prev, next, expected) => {
    expect(combine(prev, next)).toEqual(expected);
  });
});

describe('a move onto a name another move had filled orphans the first old path', () => {
  const other: PathChange = { path: p, change: 'move', dir: false, from: 'other' as RelPath };
  const oldGone: PathChange = { path: 'old' as RelPath, change: 'delete', dir: false };

  it('orphanedDeletion names it; a move from the same old path, or a change that is no move, orphans nothing', () => {
    // mv old a; mv other a: what was old is overwritten.
    expect(orphanedDeletion(move, other)).toEqual(oldGone);
    expect(orphanedDeletion({ ...tree, from: 'old' as RelPath }, other)).toEqual({ ...oldGone, dir: true });
    expect(orphanedDeletion(move, move)).toBeNull();
    expect(orphanedDeletion(move, delFile)).toBeNull();
    expect(orphanedDeletion(upsertFile, other)).toBeNull();
    expect(orphanedDeletion(undefined, other)).toBeNull();
  });

  it('holdChange keeps the orphaned deletion, older than what is held at its path since', () => {
    const held = new Map<RelPath, PathChange>([[p, move]]);
    holdChange(held, other);
    expect([...held.values()]).toEqual([other, oldGone]);
    // A directory made at the old name since: the old copy there goes with it (tree).
    const since = new Map<RelPath, PathChange>([
      ['old' as RelPath, { path: 'old' as RelPath, change: 'upsert', dir: true }],
      [p, move],
    ]);
    holdChange(since, other);
    expect(since.get('old' as RelPath)).toEqual({ path: 'old', change: 'tree', dir: true });
    // An older change (a retry put back) yields to what is held: the newer move stays.
    const retried = new Map<RelPath, PathChange>([[p, other]]);
    holdChange(retried, move, true);
    expect([...retried.values()]).toEqual([other, oldGone]);
  });
});
