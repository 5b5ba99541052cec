// End to end: a target that lost data this pair had put there (deleted behind its back on the daemon's module
// directory) is restored by the next full sync (requested, as the API's syncNow does, or the start-up sync
// after a restart) and is not shown as green: the target's state carries the warning with the names, and the
// one status function says "lost data restored". A later full sync that finds the target whole clears it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { LOSS_MARGIN_MS } from '../../electron/engine/target-loss.js';
import type { BatchSummary } from '../../electron/shared/state.js';
import { pairStatus, targetStatus } from '../../electron/shared/status.js';
import { eventually, pairConfig, tempDir } from '../helpers/engine-harness.js';
import { manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

describe('a target that lost data is not green', () => {
  let daemon: RsyncDaemon;
  let work: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon();
    work = await tempDir('rsync-live-loss-');
  });
  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('entries deleted on the target behind the pair: the full sync restores them and warns, by name; a restart too', async () => {
    const src = path.join(work, 'src');
    const stateDir = path.join(work, 'state');
    await fs.mkdir(path.join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 10; i++) await fs.writeFile(path.join(src, `f${i}`), `file ${i}`);
    for (let i = 0; i < 5; i++) await fs.writeFile(path.join(src, 'sub', `g${i}`), `sub ${i}`);
    // The rule compares each file's ctime with the start of the last complete full sync (minus a margin):
    // the first sync must start after the files were last changed by more than the margin.
    const written = (await fs.stat(path.join(src, 'sub', 'g4'))).ctimeMs;
    await eventually(() => expect(Date.now()).toBeGreaterThan(written + LOSS_MARGIN_MS + 200), 10_000);

    const dest = path.join(daemon.modulePath, 'loss');
    const config = pairConfig({
      folder: src,
      targets: [{ url: daemon.url(undefined, 'loss'), passwordFile: daemon.passwordFile }],
    });
    const lostOf = (engine: Engine) => engine.state().pairs[0]?.targets[0]?.lost ?? null;
    const statusOf = (engine: Engine) => {
      const pair = engine.state().pairs[0];
      if (!pair?.targets[0]) throw new Error('no pair');
      return { target: targetStatus(pair, pair.targets[0]).key, pair: pairStatus(pair).key };
    };

    let engine = new Engine({ stateDir });
    const fullRuns: BatchSummary[] = [];
    engine.on('batch-end', (b) => b.kind === 'full' && fullRuns.push(b));
    try {
      await engine.addPair(config);
      await engine.whenIdle();
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      expect(lostOf(engine)).toBeNull(); // the first sync created everything: nothing was lost
      expect(statusOf(engine)).toEqual({ target: 'up-to-date', pair: 'up-to-date' });

      // Another tool deletes three files and a directory on the target.
      await fs.rm(path.join(dest, 'f1'));
      await fs.rm(path.join(dest, 'f2'));
      await fs.rm(path.join(dest, 'f3'));
      await fs.rm(path.join(dest, 'sub'), { recursive: true });
      const before = fullRuns.length;
      engine.fullSync(); // what the API's syncNow does
      await eventually(() => expect(fullRuns.length).toBeGreaterThan(before), 30_000);
      await engine.whenIdle();
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      const lost = lostOf(engine);
      expect(lost?.entries).toBe(9); // f1, f2, f3, sub and its 5 files
      expect(lost?.paths.sort()).toEqual(['f1', 'f2', 'f3', 'sub']);
      expect(lost?.message).toContain('had lost 9 entries that this pair had put there and not deleted');
      expect(lost?.message).toContain('restored them');
      expect(statusOf(engine)).toEqual({ target: 'lost-data', pair: 'lost-data' });

      // A full sync that finds the target whole clears the warning.
      const again = fullRuns.length;
      engine.fullSync();
      await eventually(() => expect(fullRuns.length).toBeGreaterThan(again), 30_000);
      await engine.whenIdle();
      expect(lostOf(engine)).toBeNull();
      expect(statusOf(engine)).toEqual({ target: 'up-to-date', pair: 'up-to-date' });
    } finally {
      await engine.stop();
    }

    // Lost while rsync-live was stopped: the start-up sync of the next run finds it (the reference is kept).
    await fs.rm(path.join(dest, 'f7'));
    engine = new Engine({ stateDir });
    try {
      await engine.addPair(config);
      await engine.whenIdle();
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      expect(lostOf(engine)).toMatchObject({ entries: 1, paths: ['f7'] });
      expect(statusOf(engine).pair).toBe('lost-data');
      expect((await manifest(dest)).size).toBe(16);
    } finally {
      await engine.stop();
    }
  }, 120_000);

  it('files changed in the folder since the last full sync are no loss (their new copies are simply sent)', async () => {
    const src = path.join(work, 'changed');
    await fs.mkdir(src);
    for (let i = 0; i < 5; i++) await fs.writeFile(path.join(src, `f${i}`), `file ${i}`);
    const written = (await fs.stat(path.join(src, 'f4'))).ctimeMs;
    await eventually(() => expect(Date.now()).toBeGreaterThan(written + LOSS_MARGIN_MS + 200), 10_000);
    const dest = path.join(daemon.modulePath, 'changed');
    const engine = new Engine({});
    try {
      await engine.addPair(
        pairConfig({
          folder: src,
          targets: [{ url: daemon.url(undefined, 'changed'), passwordFile: daemon.passwordFile }],
        }),
      );
      await engine.whenIdle();
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      // A new file, synced live; then it is renamed (a new ctime) and the old copies vanish from the target.
      await fs.writeFile(path.join(src, 'new'), 'new');
      await eventually(async () => expect((await manifest(dest)).has('new')).toBe(true), 30_000);
      await fs.rename(path.join(src, 'f0'), path.join(src, 'renamed'));
      await engine.whenIdle();
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      await fs.rm(path.join(dest, 'new'));
      await fs.rm(path.join(dest, 'renamed'));
      engine.fullSync();
      await engine.whenIdle();
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      // Both were changed after the last full sync began: this rule cannot tell them from new files.
      expect(engine.state().pairs[0]?.targets[0]?.lost ?? null).toBeNull();
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
