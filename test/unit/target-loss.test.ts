// What a full sync created on the target counts as lost only when its copy in the folder, and every directory
// above it, is unchanged (ctime) since before the last complete full sync began. Real files; the reference
// times are set from their ctimes, so nothing here waits on the clock but the few milliseconds between two
// changes that must get different ctimes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { relFromUtf8 } from '../../electron/engine/byte-path.js';
import { findLost, LOSS_MARGIN_MS, TargetLoss } from '../../electron/engine/target-loss.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const r = relFromUtf8;
let dir: string;
let root: Buffer;
const ctime = async (rel: string) => (await fs.lstat(path.join(dir, rel))).ctimeMs;
/** Until the clock is past `ms` plus a little, so the next change gets a later ctime. */
const after = (ms: number) => eventually(() => expect(Date.now()).toBeGreaterThan(ms + 50), 5_000);

beforeEach(async () => {
  dir = await tempDir('rsync-live-loss-unit-');
  root = Buffer.from(dir);
  await fs.mkdir(path.join(dir, 'a', 'b'), { recursive: true });
  await fs.writeFile(path.join(dir, 'a', 'b', 'f'), 'f');
  await fs.writeFile(path.join(dir, 'top'), 'top');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('findLost', () => {
  it('entries unchanged since before the reference are lost; newer ones, gone ones are not', async () => {
    const old = Math.max(await ctime('a/b/f'), await ctime('top'), await ctime('a/b'), await ctime('a'));
    await after(old);
    await fs.writeFile(path.join(dir, 'fresh'), 'new');
    const reference = old + LOSS_MARGIN_MS + 1; // after the old entries, before "fresh"
    expect(await ctime('fresh')).toBeGreaterThanOrEqual(reference - LOSS_MARGIN_MS);
    const created = ['a', 'a/b', 'a/b/f', 'top', 'fresh', 'gone'].map(r);
    expect(await findLost(root, created, reference)).toEqual(['a', 'a/b', 'a/b/f', 'top']);
  });

  it('entries inside a directory renamed since the reference are not lost (their own ctime is old)', async () => {
    const old = Math.max(await ctime('a/b/f'), await ctime('a/b'), await ctime('a'), await ctime('top'));
    await after(old);
    await fs.rename(path.join(dir, 'a', 'b'), path.join(dir, 'a', 'moved'));
    expect(await ctime('a/moved/f')).toBeLessThan(old + 1); // the kernel leaves the children's ctime alone
    const lost = await findLost(root, ['a/moved', 'a/moved/f', 'top'].map(r), old + LOSS_MARGIN_MS + 1);
    expect(lost).toEqual(['top']);
  });
});

describe('TargetLoss', () => {
  it('no reference (a first sync): nothing is lost; the next full sync judges against this one', async () => {
    const loss = new TargetLoss(root, 'nas::m');
    loss.begin();
    loss.noteCreated(r('top'));
    expect(await loss.finish(Date.now(), 'at')).toBeNull();
    expect(loss.state).toBeNull();
  });

  it('a warning with the count, the top-most names and the target; cleared by a full sync that finds nothing', async () => {
    const loss = new TargetLoss(root, 'nas::m');
    loss.reference = new Date(Date.now() + LOSS_MARGIN_MS + 60_000).toISOString();
    loss.begin();
    for (const p of ['a', 'a/b', 'a/b/f', 'top']) loss.noteCreated(r(p));
    const state = await loss.finish(Date.now(), '2026-12-04T00:00:00.000Z');
    expect(state).toMatchObject({ entries: 4, paths: ['a', 'top'], at: '2026-12-04T00:00:00.000Z' });
    expect(state?.message).toMatch(
      /^nas::m had lost 4 entries that this pair had put there and not deleted \(a, top, …\); the full sync restored them/,
    );
    expect(loss.state).toBe(state);
    loss.begin();
    expect(await loss.finish(Date.now(), 'later')).toBeNull();
    expect(loss.state).toBeNull();
  });
});
