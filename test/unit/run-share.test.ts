import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import type { PathChange } from '../../electron/engine/path-change.js';
import { runWeight, shareFor } from '../../electron/engine/run-share.js';

const change = (c: Partial<PathChange>): PathChange => ({
  path: 'p' as RelPath,
  change: 'upsert',
  dir: false,
  ...c,
});

describe('run-share', () => {
  it('weighs a file or a replaced directory 1, a new directory 1 + what it covers, moves and deletions 0', () => {
    expect(runWeight(change({}))).toBe(1);
    expect(runWeight(change({ dir: true, subtree: true, covers: 50 }))).toBe(51);
    expect(runWeight(change({ change: 'delete', entries: 1000 }))).toBe(0);
    expect(runWeight(change({ change: 'move', from: 'q' as RelPath }))).toBe(0);
    expect(runWeight(change({ change: 'tree', dir: true }))).toBe(1);
  });

  it('idle: the work is split evenly across the free slots', () => {
    expect(shareFor(10, [], 0, 2)).toBe(5);
    // The second slot in the same pump: the first run just started, it counts whole.
    expect(shareFor(5, [{ weight: 5, startedAt: 0 }], 0, 2)).toBe(5);
    expect(shareFor(1, [], 0, 2)).toBe(1);
  });

  it('busy: a freed slot takes its even part counting half of an older run in flight, at most what waits', () => {
    expect(shareFor(100, [{ weight: 40, startedAt: 0 }], 10, 2)).toBe(60);
    expect(shareFor(10, [{ weight: 1000, startedAt: 0 }], 10, 2)).toBe(10);
    expect(shareFor(0, [{ weight: 10, startedAt: 0 }], 10, 2)).toBe(1);
    expect(
      shareFor(
        90,
        [
          { weight: 30, startedAt: 0 },
          { weight: 30, startedAt: 0 },
        ],
        10,
        4,
      ),
    ).toBe(30);
  });
});
