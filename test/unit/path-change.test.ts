// The one rule for combining two changes to a path, as a table: every (previous, next) pair.
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { combine, type PathChange } from '../../electron/engine/path-change.js';

const p = 'a' as RelPath;
const upsertFile: PathChange = { path: p, change: 'upsert', dir: false };
const upsertDir: PathChange = { path: p, change: 'upsert', dir: true };
const tree: PathChange = { path: p, change: 'tree', dir: true };
const delFile: PathChange = { path: p, change: 'delete', dir: false, entries: 1 };
const delDir: PathChange = { path: p, change: 'delete', dir: true, entries: 7 };

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
  ];
  it.each(table)('%s', (_name, prev, next, expected) => {
    expect(combine(prev, next)).toEqual(expected);
  });
});
