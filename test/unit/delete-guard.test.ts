// The delete guard's rules on a FakeClock with a fake folder: it judges loss (the folder's net drop in
// entries within the window), not operations; it trips on a gone, replaced or unmounted folder; it lists
// what it holds in entries; it clears when the folder is back; confirmation releases everything.
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import type { WatchEvent } from '../../electron/engine/coalescer.js';
import {
  DELETE_HOLD_MAX_MS,
  DELETE_QUIET_MS,
  DeleteGuard,
  isMassLoss,
  LOSS_WINDOW_MS,
  RECHECK_MS,
} from '../../electron/engine/delete-guard.js';
import type { FolderProbe, FolderProblem } from '../../electron/engine/folder-probe.js';
import type { PathChange } from '../../electron/engine/path-change.js';
import type { DeleteGuardState } from '../../electron/shared/state.js';
import { FakeClock } from '../helpers/fake-clock.js';

const rel = (p: string) => p as RelPath;
const del = (p: string, entries = 1, dir = false): PathChange => ({
  path: rel(p),
  change: 'delete',
  dir,
  entries,
});

/** A folder whose entry count and identity the test sets; counting can be made slow (a race). */
class FakeFolder implements FolderProbe {
  entries: number;
  problem: FolderProblem | null = null;
  counts = 0;
  constructor(entries: number) {
    this.entries = entries;
  }
  check(): Promise<FolderProblem | null> {
    return Promise.resolve(this.problem);
  }
  /** Counts to answer first, one per count (a walk that raced renames), before `entries`. */
  racing: number[] = [];
  count(): Promise<number> {
    this.counts++;
    return Promise.resolve(this.racing.shift() ?? this.entries);
  }
}

/** `fromWatcher`: the guard starts from the count the watcher's walk took (Watcher.entriesBelow). */
async function setup(
  entries: number,
  limits = { enabled: true, maxShare: 0.5, minEntries: 100 },
  fromWatcher = false,
) {
  const clock = new FakeClock();
  const folder = new FakeFolder(entries);
  const released: PathChange[] = [];
  const trips: DeleteGuardState[] = [];
  const clears: string[] = [];
  const guard = new DeleteGuard({
    folder: '/home/me/Photos',
    limits,
    clock,
    probe: folder,
    store: null,
    release: (changes) => released.push(...changes),
    onTrip: (state) => trips.push(state),
    onClear: (how) => clears.push(how),
    onChange: () => undefined,
  });
  await guard.start(fromWatcher ? entries : null);
  /** The watcher reports what happened to the folder; the coalescer hands the deletions over. */
  const remove = (paths: PathChange[]) => {
    for (const change of paths) {
      folder.entries -= change.entries ?? 1;
      guard.noteEvent({ kind: 'removed', path: change.path, dir: change.dir, entries: change.entries });
    }
    guard.hold(paths);
  };
  const create = (n: number) => {
    for (let i = 0; i < n; i++) {
      folder.entries++;
      guard.noteEvent({ kind: 'created', path: rel(`new${i}`) } satisfies WatchEvent);
    }
  };
  const tick = async (ms: number) => {
    clock.advance(ms);
    await guard.settle(false);
  };
  return { clock, folder, guard, released, trips, clears, remove, create, tick };
}

describe('isMassLoss', () => {
  const limits = { enabled: true, maxShare: 0.5, minEntries: 1000 };
  it('needs both at least minEntries and more than maxShare', () => {
    expect(isMassLoss(1100, 1102, limits)).toBe(true);
    expect(isMassLoss(999, 1000, limits)).toBe(false);
    expect(isMassLoss(1000, 2000, limits)).toBe(false);
    expect(isMassLoss(1001, 2000, limits)).toBe(true);
    expect(isMassLoss(5000, 5000, { ...limits, enabled: false })).toBe(false);
  });
});

describe('delete guard', () => {
  it('emptying a small folder propagates like any deletion', async () => {
    const t = await setup(1);
    t.remove([del('test.txt')]);
    expect(t.released).toEqual([]); // held for the quiet period
    await t.tick(DELETE_QUIET_MS);
    expect(t.released.map((c) => c.path)).toEqual(['test.txt']);
    expect(t.guard.tripped).toBe(false);
  });

  it('mv a b; rm b; mv c b: the move onto b keeps the deletion of a that the held one of b owed', async () => {
    const t = await setup(10);
    t.guard.hold([{ ...del('b'), from: rel('a') }]);
    const move: PathChange = { path: rel('b'), change: 'move', dir: false, from: rel('c') };
    expect(t.guard.supersede([move])).toEqual([move]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.released).toEqual([{ path: 'a', change: 'delete', dir: false }]);
  });

  it("started from the watcher's count, it does not walk the folder again; a mass delete still trips", async () => {
    const limits = { enabled: true, maxShare: 0.5, minEntries: 100 };
    const walked = await setup(1102, limits);
    expect(walked.folder.counts).toBe(1); // no count from the watcher: the guard walks the folder once
    const t = await setup(1102, limits, true);
    expect(t.folder.counts).toBe(0);
    t.remove(Array.from({ length: 1000 }, (_, i) => del(`big/f${i}`)));
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(true);
    expect(t.released).toEqual([]);
  });

  it('one rm -rf of most of the folder trips, holds every entry, and lists them', async () => {
    const t = await setup(1102);
    const files = Array.from({ length: 1099 }, (_, i) => del(`big/f${i}`));
    t.remove(files.slice(0, 600));
    await t.tick(DELETE_QUIET_MS / 2);
    t.remove(files.slice(600));
    t.remove([del('big', 1, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(true);
    expect(t.released).toEqual([]);
    const state = t.guard.state();
    expect(state?.reason).toBe('mass-delete');
    expect(state?.held).toBe(1100);
    expect(state?.paths).toEqual(['big/']);
    expect(state?.message).toMatch(
      /^deletions paused: 1100 of 1102 entries of \/home\/me\/Photos would be deleted/,
    );
    expect(state?.message).toContain('rsync-live confirm-deletions /home/me/Photos');
  });

  it('a directory whose subtree came partly as separate deletions holds them all (counts add up)', async () => {
    // Seen under CPU load: the coalescer hands 600 file deletions over in one batch, then the directory with
    // the 499 files it swallowed itself (entries 500). The held count must be 1100, not max(601, 500).
    const t = await setup(1102);
    t.remove(Array.from({ length: 600 }, (_, i) => del(`big/f${i}`)));
    await t.tick(DELETE_QUIET_MS / 2);
    t.remove([del('big', 500, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(true);
    expect(t.guard.state()).toMatchObject({ held: 1100, paths: ['big/'], pathsTotal: 1 });
  });

  it('a rename of a large directory (old name gone, new name created) is no loss', async () => {
    const t = await setup(2095);
    t.remove([del('projects', 1268, true)]);
    t.create(1268); // the watcher lists the directory under its new name
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(false);
    expect(t.released.map((c) => c.path)).toEqual(['projects']);
  });

  it('many renames in a minute are no loss, however many', async () => {
    const t = await setup(3000);
    for (let round = 0; round < 30; round++) {
      t.remove([del(`d${round}`, 200, true)]);
      t.create(200);
      await t.tick(1_000);
    }
    expect(t.guard.tripped).toBe(false);
    expect(t.released).toHaveLength(30);
  });

  it('many small deletes that add up within the window trip', async () => {
    const t = await setup(300);
    for (let i = 0; i < 200; i++) {
      t.remove([del(`f${i}`)]);
      await t.tick(DELETE_QUIET_MS + 50);
    }
    expect(t.guard.tripped).toBe(true);
    // Released while the loss stayed within the limits (150 of 300); everything after it is held.
    expect(t.released.length).toBeLessThanOrEqual(150);
    expect(t.released.length).toBeGreaterThanOrEqual(100);
    expect(t.released.length + (t.guard.state()?.pathsTotal ?? 0)).toBe(200);
  });

  it('the same deletes spread beyond the window do not trip', async () => {
    const t = await setup(300);
    for (let i = 0; i < 200; i++) {
      t.remove([del(`f${i}`)]);
      await t.tick(LOSS_WINDOW_MS / 50);
    }
    expect(t.guard.tripped).toBe(false);
    expect(t.released).toHaveLength(200);
  });

  it('deletes that race the count still trip once the loss is a mass delete', async () => {
    const t = await setup(1000);
    const removeRange = (from: number, to: number) =>
      t.remove(Array.from({ length: to - from }, (_, i) => del(`x/f${from + i}`)));
    removeRange(0, 400);
    const realCount = t.folder.count.bind(t.folder);
    // The count runs while the rm -rf goes on: more deletions land before it answers.
    t.folder.count = () => {
      const seen = t.folder.entries;
      removeRange(400, 900);
      t.folder.count = realCount;
      return Promise.resolve(seen);
    };
    await t.tick(DELETE_QUIET_MS);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(true);
    // What was judged before the loss was a mass delete (400 of 1000) may go; nothing after it does.
    expect(t.released.length).toBeLessThanOrEqual(400);
    expect(t.released.length + (t.guard.state()?.held ?? 0)).toBe(900);
  });

  it('deletions that never pause are judged after the longest hold, not held forever', async () => {
    const t = await setup(10_000);
    let i = 0;
    for (let ms = 0; ms <= DELETE_HOLD_MAX_MS; ms += DELETE_QUIET_MS / 2) {
      t.remove([del(`f${i++}`)]);
      await t.tick(DELETE_QUIET_MS / 2);
    }
    expect(t.released.length).toBeGreaterThan(0);
    expect(t.guard.tripped).toBe(false);
  });

  it('a folder that is gone, replaced or unmounted always trips, whatever the deletions', async () => {
    for (const problem of ['folder-missing', 'folder-replaced'] as const) {
      const t = await setup(10);
      t.folder.problem = problem;
      t.remove([del('a')]);
      await t.tick(DELETE_QUIET_MS);
      expect(t.guard.reason).toBe(problem);
      expect(t.released).toEqual([]);
    }
    const t = await setup(10);
    t.guard.trip('folder-unmounted');
    expect(t.trips[0]?.message).toMatch(/the file system of \/home\/me\/Photos was unmounted/);
  });

  it('clears itself when the same folder is back', async () => {
    const t = await setup(10);
    t.folder.problem = 'folder-missing';
    t.remove([del('a')]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.reason).toBe('folder-missing');
    t.folder.problem = null;
    await t.tick(RECHECK_MS);
    expect(t.guard.tripped).toBe(false);
    expect(t.clears).toEqual(['recovered']);
  });

  it('clears itself when the deleted entries come back (restored from the trash)', async () => {
    const t = await setup(1200);
    t.remove([del('big', 1100, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.reason).toBe('mass-delete');
    // Restored: the watcher reports the directory (and what it holds) created again.
    t.create(1100);
    expect(t.guard.supersede([{ path: rel('big'), change: 'upsert', dir: true }])).toEqual([
      { path: 'big', change: 'tree', dir: true },
    ]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(false);
    expect(t.clears).toEqual(['recovered']);
    expect(t.released).toEqual([]);
  });

  it('stays tripped past the window until the folder is back or the user confirms', async () => {
    const t = await setup(1200);
    t.remove([del('big', 1100, true)]);
    await t.tick(DELETE_QUIET_MS);
    await t.tick(LOSS_WINDOW_MS * 3);
    expect(t.guard.tripped).toBe(true);
    t.remove([del('other')]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.state()?.pathsTotal).toBe(2);
    expect(t.guard.confirm()).toBe('mass-delete');
    expect(t.released.map((c) => c.path).sort()).toEqual(['big', 'other']);
    expect(t.clears).toEqual(['confirmed']);
  });

  it('below a held directory only the directory is listed, its entries counted into it', async () => {
    const t = await setup(5000);
    t.remove([del('a/b/c'), del('a/b/d'), del('a/e')]);
    t.remove([del('a/b', 1, true), del('a', 1, true)]);
    t.guard.trip('folder-missing');
    expect(t.guard.state()).toMatchObject({ paths: ['a/'], pathsTotal: 1, held: 5 });
  });

  it('a full sync that finds too much to delete trips; a little goes', async () => {
    const t = await setup(10);
    expect(await t.guard.judgeTargetExcess(5, 10, [])).toBe(true);
    expect(await t.guard.judgeTargetExcess(150, 10, ['x', 'y'])).toBe(false);
    expect(t.guard.state()).toMatchObject({ reason: 'mass-delete', held: 150, paths: ['x', 'y'] });
  });

  it('a full sync while watched: old names of a reorganisation left on the target are no loss', async () => {
    // 2,000 entries, moved around: the folder's level never drops, while a full sync finds 2,100 old names on
    // the target whose moves (or deletions) are still queued (some entries moved twice).
    const t = await setup(2000);
    t.remove([del('a', 800, true), del('b', 800, true)]);
    t.create(1600);
    expect(await t.guard.judgeTargetExcess(2100, 2000, ['a/', 'b/'], true)).toBe(true);
    expect(t.guard.tripped).toBe(false);
    // Not watched (a start-up sync, --once): the same excess is judged by itself and trips.
    expect(await t.guard.judgeTargetExcess(2100, 2000, ['a/', 'b/'])).toBe(false);
  });

  it('a full sync while watched: a loss the watcher never reported trips on the real count', async () => {
    const t = await setup(2000);
    t.folder.entries = 500; // deleted without an event (events lost, an unwatched directory)
    await t.tick(1_000);
    expect(await t.guard.judgeTargetExcess(1500, 500, ['gone/'], true)).toBe(false);
    expect(t.guard.state()).toMatchObject({ reason: 'mass-delete', held: 1500, paths: ['gone/'] });
  });

  it('a full sync while watched: a loss the live rule already let through (small) is not judged again', async () => {
    const t = await setup(2000);
    t.remove([del('x', 150, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.released.map((c) => c.path)).toEqual(['x']);
    expect(await t.guard.judgeTargetExcess(150, 1850, ['x/'], true)).toBe(true);
  });

  it('a count that raced renames (most of the folder missed) is counted again: no trip, no levels shifted', async () => {
    const t = await setup(2000);
    // 1,200 entries leave under old names at once (a reorganisation); the first walk misses 1,300 that moved
    // behind it; the next walk sees the folder whole.
    t.remove([del('a', 600, true), del('b', 600, true)]);
    t.folder.entries += 1200; // on disk they are under their new names already
    t.folder.racing = [700];
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(false);
    expect(t.released.map((c) => c.path)).toEqual(['a', 'b']);
    // The window was not shifted down by the bad count: a real loss right after still trips.
    t.remove([del('c', 1500, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.state()).toMatchObject({ reason: 'mass-delete', held: 1500 });
  });

  it('a loss that stays in every count trips (the recounts cannot hide it)', async () => {
    const t = await setup(2000);
    t.folder.racing = [500, 520];
    t.remove([del('big', 1500, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.state()).toMatchObject({ reason: 'mass-delete', held: 1500 });
    expect(t.folder.counts).toBe(4); // start, then three counts
  });

  it('does nothing when switched off', async () => {
    const t = await setup(1000, { enabled: false, maxShare: 0.5, minEntries: 1 });
    t.guard.trip('folder-missing');
    expect(t.guard.tripped).toBe(false);
    expect(await t.guard.judgeTargetExcess(1000, 0, [])).toBe(true);
  });
});

describe('delete guard estimate', () => {
  it('a directory renamed whose new name is reported late is no loss once counted', async () => {
    const t = await setup(1000, { enabled: true, maxShare: 0.4, minEntries: 500 });
    // The old name leaves with its subtree at once; the entries under the new name arrive after the judgement.
    t.folder.entries += 900; // on disk the moved entries are already there
    t.remove([del('old-name', 900, true)]);
    await t.tick(DELETE_QUIET_MS);
    expect(t.guard.tripped).toBe(false);
    expect(t.released.map((c) => c.path)).toEqual(['old-name']);
  });
});
