// End to end: what the start-up of a paired folder whose target already holds it costs, counted (timings
// belong in the bench, npm run bench -- --only f): one full sync rsync run (no second pass when the first
// found nothing to delete, no dry-run listing) and no walk of the folder besides the watcher's own (the delete
// guard takes its level from the watcher's count: a second walk cost ~4 CPU-s at 100,000 directories).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { pairConfig, tempDir } from '../helpers/engine-harness.js';
import { manifest } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

const calls = vi.hoisted(() => ({ rsync: [] as string[][], walks: 0 }));

vi.mock('../../electron/engine/rsync/runner.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../electron/engine/rsync/runner.js')>();
  return {
    ...real,
    runRsync: (...a: Parameters<typeof real.runRsync>) => {
      calls.rsync.push([...a[0].args]);
      return real.runRsync(...a);
    },
  };
});
vi.mock('../../electron/engine/tree-walk.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../electron/engine/tree-walk.js')>();
  return {
    ...real,
    countEntries: (...a: Parameters<typeof real.countEntries>) => {
      calls.walks++;
      return real.countEntries(...a);
    },
  };
});

describe('start-up of an unchanged, paired folder', () => {
  let daemon: RsyncDaemon;
  let work: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    work = await tempDir();
  });
  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(work, { recursive: true, force: true });
  });

  /** The runs that sync (the per-process capability probes of a new target, from a temp dir, left out). */
  const syncRuns = () => calls.rsync.filter((args) => !args.some((a) => a.includes('rsync-live-caps-')));

  it('runs one rsync (the full sync, deleting nothing) and does not walk the folder a second time', async () => {
    const folder = path.join(work, 'folder');
    for (let d = 0; d < 30; d++) {
      await fs.mkdir(path.join(folder, `d${d}`, 'sub'), { recursive: true });
      for (let f = 0; f < 3; f++) await fs.writeFile(path.join(folder, `d${d}`, 'sub', `f${f}`), `${d}.${f}`);
    }
    const stateDir = path.join(work, 'state');
    const config = pairConfig({
      folder,
      targets: [{ url: daemon.url(), passwordFile: daemon.passwordFile }],
    });
    const run = async () => {
      const engine = new Engine({ stateDir });
      const failures: string[] = [];
      engine.on('failure', (f) => failures.push(f.error.message));
      try {
        await engine.addPair(config);
        await engine.whenIdle();
        expect(failures).toEqual([]);
      } finally {
        await engine.stop();
      }
    };
    await run(); // the first sync pairs the folder and fills the target
    expect(await manifest(daemon.modulePath)).toEqual(await manifest(folder));

    calls.rsync.length = 0;
    calls.walks = 0;
    await run(); // the start-up sync: the target holds the folder already
    const runs = syncRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toContain('--max-delete=0');
    expect(runs[0]).not.toContain('--dry-run');
    expect(calls.walks).toBe(0);
    expect(await manifest(daemon.modulePath)).toEqual(await manifest(folder));
  });
});
