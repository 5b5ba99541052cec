// End to end: the delete guard. A folder that disappears, is replaced, becomes empty, or loses most of its
// entries at once must never wipe the backup: deletions are held until the user confirms.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manifest, waitForConverge } from '../helpers/manifest.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  files: number,
  extra: Partial<Parameters<typeof pairConfig>[0]> = {},
): Promise<{ src: string; dest: string; h: Harness }> {
  const base = await tempDir();
  cleanups.push(() => fs.rm(base, { recursive: true, force: true }));
  const src = path.join(base, 'src');
  const dest = path.join(base, 'dest');
  await fs.mkdir(src);
  for (let i = 0; i < files; i++) await fs.writeFile(path.join(src, `f${i}`), `${i}`);
  const h = await startHarness(pairConfig({ folder: src, targets: [{ url: dest }], ...extra }));
  cleanups.push(() => h.stop());
  await waitForConverge(src, dest);
  return { src, dest, h };
}

const guardOf = (h: Harness) => h.engine.state().pairs[0]?.deleteGuard ?? null;
const count = async (dir: string) => (await manifest(dir)).size;

describe('delete guard', () => {
  it('a folder that disappears keeps its backup; confirming on a new folder mirrors it', async () => {
    const { src, dest, h } = await setup(5);
    await fs.rm(src, { recursive: true });
    await eventually(() => expect(guardOf(h)?.reason).toBe('folder-missing'));
    expect(h.engine.state().pairs[0]?.status).toBe('error');
    const failure = h.failures.find((f) => f.error.kind === 'delete-guard');
    expect(failure?.error.message).toMatch(
      /^deletions paused: the folder .* is gone \(unmounted disk, renamed or deleted\?\); nothing is deleted/,
    );
    expect(failure?.error.message).toMatch(/--confirm-deletions/);
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(dest)).toBe(5);
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, 'new'), 'after confirming');
    expect(await h.engine.confirmDeletions('p')).toBe(true);
    await waitForConverge(src, dest);
    expect(guardOf(h)).toBeNull();
  });

  it('a folder replaced by another directory (renamed home, remount) is noticed', async () => {
    const { src, dest, h } = await setup(3);
    await fs.rename(src, `${src}.old`);
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, 'other'), 'x');
    await eventually(() => expect(guardOf(h)?.reason).toMatch(/folder-replaced|folder-missing/), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(dest)).toBeGreaterThanOrEqual(3);
  });

  it('a folder replaced after a burst is still noticed (the burst check must not end the folder check)', async () => {
    const top = await tempDir();
    cleanups.push(() => fs.rm(top, { recursive: true, force: true }));
    const disk = path.join(top, 'disk');
    const [src, dest] = [path.join(disk, 'src'), path.join(top, 'dest')];
    await fs.mkdir(src, { recursive: true });
    const { Engine } = await import('../../electron/engine/index.js');
    const engine = new Engine({ burstVerifyPaths: 20, burstQuietMs: 100 });
    cleanups.push(() => engine.stop());
    let fullSyncs = 0;
    engine.on('batch-end', (b) => b.kind === 'full' && fullSyncs++);
    await engine.addPair(pairConfig({ folder: src, targets: [{ url: dest }] }));
    for (let i = 0; i < 30; i++) await fs.writeFile(path.join(src, `f${i}`), `${i}`);
    await eventually(() => expect(fullSyncs).toBe(2)); // start-up, then the one verifying the burst
    await engine.whenIdle();
    await waitForConverge(src, dest);
    // The folder's parent moves away (a disk unmounted) and another directory appears at the same path: the
    // folder's own watch sees nothing of it; only the periodic check of the folder's identity notices.
    await fs.rename(disk, `${disk}.old`);
    await fs.mkdir(src, { recursive: true });
    await fs.writeFile(path.join(src, 'other'), 'x');
    await eventually(
      () => expect(engine.state().pairs[0]?.deleteGuard?.reason).toBe('folder-replaced'),
      10_000,
    );
    expect(await count(dest)).toBe(30);
  });

  it('a full sync never runs against a replaced folder: it trips the guard and deletes nothing', async () => {
    const top = await tempDir();
    cleanups.push(() => fs.rm(top, { recursive: true, force: true }));
    const disk = path.join(top, 'disk');
    const [src, dest] = [path.join(disk, 'src'), path.join(top, 'dest')];
    await fs.mkdir(src, { recursive: true });
    for (let i = 0; i < 10; i++) await fs.writeFile(path.join(src, `f${i}`), `${i}`);
    const h = await startHarness(pairConfig({ folder: src, targets: [{ url: dest }] }));
    cleanups.push(() => h.stop());
    await waitForConverge(src, dest);
    await fs.rename(disk, `${disk}.old`);
    await fs.mkdir(src, { recursive: true });
    await fs.writeFile(path.join(src, 'other'), 'x');
    h.engine.fullSync('p'); // at once, before the periodic identity check has run
    await h.engine.whenIdle();
    expect(guardOf(h)?.reason).toBe('folder-replaced');
    expect(await count(dest)).toBeGreaterThanOrEqual(10);
  });

  it('emptying a small folder propagates like any deletion (no guard)', async () => {
    const { src, dest, h } = await setup(5);
    for (let i = 0; i < 5; i++) await fs.rm(path.join(src, `f${i}`));
    await eventually(async () => expect(await count(dest)).toBe(0));
    await h.engine.whenIdle();
    expect(guardOf(h)).toBeNull();
  });

  it('one change deleting most of a large folder is held; a small delete is not', async () => {
    const { src, dest, h } = await setup(0, {
      deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 50 },
    });
    await fs.mkdir(path.join(src, 'bulk'));
    for (let i = 0; i < 80; i++) await fs.writeFile(path.join(src, 'bulk', `b${i}`), `${i}`);
    for (let i = 0; i < 20; i++) await fs.writeFile(path.join(src, `keep${i}`), `${i}`);
    await waitForConverge(src, dest);
    await fs.rm(path.join(src, 'keep0'));
    await waitForConverge(src, dest);
    expect(guardOf(h)).toBeNull();
    await fs.rm(path.join(src, 'bulk'), { recursive: true });
    await eventually(() => expect(guardOf(h)?.reason).toBe('mass-delete'));
    expect(guardOf(h)?.message).toMatch(
      /^deletions paused: \d+ of \d+ entries of .* would be deleted on the backup/,
    );
    // Held in entries (the directory and the 80 files in it), listed by name.
    expect(guardOf(h)).toMatchObject({ held: 81, paths: ['bulk/'], pathsTotal: 1 });
    expect(await count(path.join(dest, 'bulk'))).toBe(80);
    await h.engine.confirmDeletions('p');
    await waitForConverge(src, dest);
  });

  it('a restart after most of the folder was deleted while stopped deletes nothing until confirmed', async () => {
    const base = await tempDir();
    cleanups.push(() => fs.rm(base, { recursive: true, force: true }));
    const [src, dest, stateDir] = [path.join(base, 'src'), path.join(base, 'dest'), path.join(base, 'state')];
    await fs.mkdir(src);
    for (let i = 0; i < 31; i++) await fs.writeFile(path.join(src, `f${i}`), `${i}`);
    const config = pairConfig({
      folder: src,
      targets: [{ url: dest }],
      deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 10 },
    });
    const { Engine } = await import('../../electron/engine/index.js');
    const start = async () => {
      const engine = new Engine({ stateDir });
      cleanups.push(() => engine.stop());
      await engine.addPair(config);
      await engine.whenIdle();
      return engine;
    };
    await (await start()).stop();
    expect(await count(dest)).toBe(31);
    // A few deletions while stopped are ordinary: the start-up sync mirrors them.
    for (let i = 0; i < 3; i++) await fs.rm(path.join(src, `f${i}`));
    const second = await start();
    expect(await count(dest)).toBe(28);
    expect(second.state().pairs[0]?.deleteGuard).toBeNull();
    await second.stop();
    // Most of it gone while stopped: the start-up sync sends, deletes nothing, and asks with a list.
    for (let i = 3; i < 30; i++) await fs.rm(path.join(src, `f${i}`));
    const third = await start();
    expect(third.state().pairs[0]?.deleteGuard).toMatchObject({ reason: 'mass-delete', held: 27 });
    expect(third.state().pairs[0]?.deleteGuard?.paths).toHaveLength(27);
    expect(await count(dest)).toBe(28);
    expect(await third.confirmDeletions('p')).toBe(true);
    await waitForConverge(src, dest);
  });

  it('a tripped guard survives a restart: the start-up sync deletes nothing until confirmed', async () => {
    const base = await tempDir();
    cleanups.push(() => fs.rm(base, { recursive: true, force: true }));
    const [src, dest, stateDir] = [path.join(base, 'src'), path.join(base, 'dest'), path.join(base, 'state')];
    await fs.mkdir(src);
    for (let i = 0; i < 20; i++) await fs.writeFile(path.join(src, `f${i}`), `${i}`);
    const config = pairConfig({
      folder: src,
      targets: [{ url: dest }],
      deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 5 },
    });
    const { Engine } = await import('../../electron/engine/index.js');
    const start = async (options: { confirmDeletions?: boolean } = {}) => {
      const engine = new Engine({ stateDir });
      cleanups.push(() => engine.stop());
      await engine.addPair(config, options);
      return engine;
    };
    const first = await start();
    await waitForConverge(src, dest);
    for (let i = 0; i < 15; i++) await fs.rm(path.join(src, `f${i}`));
    await eventually(() => expect(first.state().pairs[0]?.deleteGuard?.reason).toBe('mass-delete'));
    const since = first.state().pairs[0]?.deleteGuard?.since;
    await first.stop();
    // On a slow machine the first few deletions may have gone out before the total looked like a mass delete.
    const kept = await count(dest);
    expect(kept).toBeGreaterThan(20 - 5);

    // Restarted without confirming: still paused, with the original time, and the start-up full sync deletes
    // nothing.
    const second = await start();
    expect(second.state().pairs[0]?.deleteGuard).toMatchObject({ reason: 'mass-delete', since });
    await second.whenIdle();
    expect(await count(dest)).toBe(kept);
    expect(await second.confirmDeletions('p')).toBe(true);
    await waitForConverge(src, dest);
    await second.stop();

    // Confirmed: the next start has no guard.
    const third = await start();
    expect(third.state().pairs[0]?.deleteGuard).toBeNull();
    await third.whenIdle();
    await waitForConverge(src, dest);
  });
});
