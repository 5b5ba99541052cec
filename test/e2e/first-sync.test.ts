// End to end: the first sync of a new pair into a daemon module that already holds other data (another
// machine's backup) deletes none of it until the user chooses: mirror (delete), keep (merge, protected from
// every later deletion), or a sub-path. Pairs whose targets overlap are refused.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, tempDir } from '../helpers/engine-harness.js';

describe('first sync into a module that holds other data', () => {
  let daemon: RsyncDaemon;
  let work: string;
  const engines: Engine[] = [];

  const foreign = async (module: string) => {
    const other = path.join(module, 'other-laptop');
    await fs.mkdir(other, { recursive: true });
    for (let i = 0; i < 200; i++) await fs.writeFile(path.join(other, `doc${i}.txt`), `theirs ${i}`);
    await fs.writeFile(path.join(module, 'README.theirs'), 'not ours');
  };
  const start = async (
    folder: string,
    options: { confirmDeletions?: boolean; keepExisting?: boolean } = {},
    stateDir?: string,
  ) => {
    const engine = new Engine(stateDir ? { stateDir } : {});
    engines.push(engine);
    await engine.addPair(
      pairConfig({ folder, targets: [{ url: daemon.url(), passwordFile: daemon.passwordFile }] }),
      options,
    );
    await engine.whenIdle();
    return engine;
  };

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    work = await tempDir();
  });
  afterAll(async () => {
    for (const engine of engines) await engine.stop();
    await daemon?.dispose();
    await fs.rm(work, { recursive: true, force: true });
  });

  const freshFolder = async (name: string) => {
    await fs.rm(daemon.modulePath, { recursive: true, force: true });
    await fs.mkdir(daemon.modulePath, { recursive: true });
    await foreign(daemon.modulePath);
    const folder = path.join(work, name);
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'mine.txt'), 'ours');
    return folder;
  };

  it('deletes nothing, sends the folder, and lists what is there', async () => {
    const folder = await freshFolder('ask');
    const engine = await start(folder);
    const target = engine.state().pairs[0]?.targets[0];
    expect(target?.existing?.entries).toBe(202);
    expect(target?.existing?.paths).toContain('other-laptop/');
    expect(target?.existing?.paths).toContain('README.theirs');
    expect(target?.existing?.suggestion).toMatch(new RegExp(`^${daemon.url()}/.+-ask$`));
    expect(target?.status).toBe('error');
    expect(target?.error?.kind).toBe('target-not-empty');
    expect(target?.error?.message).toMatch(/already holds 202 entries that are not in .*nothing was deleted/);
    expect(engine.state().pairs[0]?.status).toBe('error');
    const held = await manifest(daemon.modulePath);
    expect(held.size).toBe(203); // other-laptop/ + 200 files + README.theirs + mine.txt
    expect(await fs.readFile(path.join(daemon.modulePath, 'mine.txt'), 'utf8')).toBe('ours');
    // Live changes still go out while the choice waits.
    await fs.writeFile(path.join(folder, 'later.txt'), 'live');
    await eventually(async () =>
      expect(await fs.readFile(path.join(daemon.modulePath, 'later.txt'), 'utf8')).toBe('live'),
    );
    // Mirror: the user confirms; the module then mirrors the folder.
    expect(await engine.confirmDeletions('p')).toBe(true);
    await waitForConverge(folder, daemon.modulePath);
    expect(engine.state().pairs[0]?.targets[0]?.existing).toBeNull();
  });

  it('keeps them (merge): protected from full syncs and from a replaced directory', async () => {
    const folder = await freshFolder('merge');
    const stateDir = path.join(work, 'state-merge');
    const engine = await start(folder, {}, stateDir);
    expect(await engine.keepExisting('p')).toBe(true);
    expect(engine.state().pairs[0]?.targets[0]).toMatchObject({ existing: null, keepsExisting: true });
    // A full sync (which deletes what the folder lost) leaves the kept entries alone.
    await fs.rm(path.join(folder, 'mine.txt'));
    await fs.writeFile(path.join(folder, 'second.txt'), '2');
    engine.fullSync('p');
    await engine.whenIdle();
    await eventually(async () => {
      const names = await fs.readdir(daemon.modulePath);
      expect(names.sort()).toEqual(['README.theirs', 'other-laptop', 'second.txt']);
    });
    expect((await fs.readdir(path.join(daemon.modulePath, 'other-laptop'))).length).toBe(200);
    await engine.stop();
    // The choice survives a restart: no question again, nothing of theirs deleted.
    const again = await start(folder, {}, stateDir);
    expect(again.state().pairs[0]?.targets[0]).toMatchObject({ existing: null, keepsExisting: true });
    expect((await fs.readdir(path.join(daemon.modulePath, 'other-laptop'))).length).toBe(200);
  });

  it('--keep-existing keeps them without asking; --confirm-deletions mirrors at once', async () => {
    const kept = await freshFolder('keep-flag');
    const a = await start(kept, { keepExisting: true });
    expect(a.state().pairs[0]?.targets[0]).toMatchObject({ existing: null, keepsExisting: true });
    expect((await fs.readdir(path.join(daemon.modulePath, 'other-laptop'))).length).toBe(200);
    await a.stop();
    const mirrored = await freshFolder('mirror-flag');
    const b = await start(mirrored, { confirmDeletions: true });
    expect(b.state().pairs[0]?.targets[0]?.existing).toBeNull();
    await waitForConverge(mirrored, daemon.modulePath);
  });

  it('refuses a pair whose target overlaps another pair’s', async () => {
    const engine = new Engine();
    engines.push(engine);
    const one = path.join(work, 'one');
    const two = path.join(work, 'two');
    await fs.mkdir(one);
    await fs.mkdir(two);
    await engine.addPair(
      pairConfig({ id: 'one', folder: one, targets: [{ url: daemon.url(undefined, 'laptop') }] }),
      {
        watch: false,
      },
    );
    // A pair that overlaps another still appears, in the error state with the reason, and does nothing.
    const refusal = async (url: string) => {
      await engine.addPair(pairConfig({ id: 'two', folder: two, targets: [{ url }] }), { watch: false });
      const state = engine.state().pairs.find((p) => p.id === 'two');
      await engine.removePair('two');
      expect(state?.status).toBe('error');
      return state?.watcher.error?.message ?? '';
    };
    expect(await refusal(daemon.url())).toMatch(
      /target .* contains pair "one"'s target .*laptop; the two would delete each other's files/,
    );
    expect(await refusal(daemon.url(undefined, 'laptop/'))).toMatch(
      /is the same place as pair "one"'s target/,
    );
    await engine.addPair(
      pairConfig({ id: 'two', folder: two, targets: [{ url: daemon.url(undefined, 'desktop') }] }),
      {
        watch: false,
      },
    );
    expect(engine.pairIds()).toEqual(['one', 'two']);
  });
});
