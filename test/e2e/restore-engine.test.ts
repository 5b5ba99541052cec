// Engine.restore into a folder a running pair watches: the restored file is back, the live mirror neither
// re-sends it (no run after the restore, the target's copy untouched) nor mirrors anything back as a deletion;
// an earlier version restored from .rsync-live-versions is sent once, as a changed file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { listVersions } from '../../electron/engine/restore/index.js';
import type { RelPath } from '../../electron/engine/byte-path.js';

const rel = (s: string) => s as RelPath;

describe('Engine.restore into a watched folder', () => {
  let daemon: RsyncDaemon;
  let keep: Harness;
  let versions: Harness;
  let keepDir: string;
  let versionsDir: string;
  const starts: { pairId: string; kind: string }[] = [];

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ modules: [{ name: 'keep' }, { name: 'ver' }] });
    [keepDir, versionsDir] = await Promise.all([tempDir(), tempDir()]);
    for (const dir of [keepDir, versionsDir]) {
      await fs.mkdir(path.join(dir, 'docs/sub dir'), { recursive: true });
      await fs.writeFile(path.join(dir, 'docs/a.txt'), 'version one');
      await fs.writeFile(path.join(dir, 'docs/sub dir/b [1].txt'), 'bee');
    }
    keep = await startHarness(
      pairConfig({
        id: 'keep',
        folder: keepDir,
        deletion: 'keep',
        targets: [{ url: daemon.url('keep'), passwordFile: daemon.passwordFile }],
      }),
    );
    versions = await startHarness(
      pairConfig({
        id: 'ver',
        folder: versionsDir,
        deletion: 'versions',
        targets: [{ url: daemon.url('ver'), passwordFile: daemon.passwordFile }],
      }),
    );
    for (const h of [keep, versions])
      h.engine.on('batch-start', (info) => starts.push({ pairId: info.pairId, kind: info.kind }));
    await waitForConverge(keepDir, daemon.modulePaths['keep'] as string, { timeoutMs: 20_000 });
    await waitForConverge(versionsDir, daemon.modulePaths['ver'] as string, {
      timeoutMs: 20_000,
      ignore: (p) => p.startsWith('.rsync-live-versions'),
    });
  });

  afterAll(async () => {
    await keep?.stop();
    await versions?.stop();
    await daemon?.dispose();
    await fs.rm(keepDir, { recursive: true, force: true });
    await fs.rm(versionsDir, { recursive: true, force: true });
  });

  it('a deleted file and folder come back and are neither re-sent nor deleted on the target', async () => {
    const target = daemon.modulePaths['keep'] as string;
    await fs.rm(path.join(keepDir, 'docs/a.txt'));
    await fs.rm(path.join(keepDir, 'docs/sub dir'), { recursive: true });
    // The deletions reach the pair (keep mode: nothing is deleted on the target).
    await eventually(() => expect(keep.engine.state().pairs[0]?.targets[0]?.status).toBe('idle'));
    await keep.engine.whenIdle('keep');
    const before = await fs.stat(path.join(target, 'docs/a.txt'));
    const runs = starts.filter((s) => s.pairId === 'keep').length;

    const result = await keep.engine.restore('keep', { paths: [rel('docs/a.txt'), rel('docs/sub dir')] });
    expect(result.failed).toEqual([]);
    expect(result.restored.sort()).toEqual(['docs/a.txt', 'docs/sub dir/b [1].txt']);
    expect(await fs.readFile(path.join(keepDir, 'docs/a.txt'), 'utf8')).toBe('version one');
    expect(await fs.readFile(path.join(keepDir, 'docs/sub dir/b [1].txt'), 'utf8')).toBe('bee');

    await eventually(() => expect(keep.engine.restoring('keep')).toBe(false), 30_000);
    await keep.engine.whenIdle('keep');
    expect(starts.filter((s) => s.pairId === 'keep').slice(runs)).toEqual([]);
    const after = await fs.stat(path.join(target, 'docs/a.txt'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await fs.readFile(path.join(target, 'docs/sub dir/b [1].txt'), 'utf8')).toBe('bee');
  });

  it('an earlier version comes back to its path and is then sent to the target once', async () => {
    const target = daemon.modulePaths['ver'] as string;
    await fs.writeFile(path.join(versionsDir, 'docs/a.txt'), 'version two, longer');
    await eventually(
      async () =>
        expect(await fs.readFile(path.join(target, 'docs/a.txt'), 'utf8')).toBe('version two, longer'),
      20_000,
    );
    const access = versions.engine.restoreAccess('ver');
    expect(access).toBeDefined();
    const kept = await listVersions(access!, rel('docs/a.txt'));
    expect(kept.length).toBe(1);
    expect(kept[0]?.size).toBe('version one'.length);

    const result = await versions.engine.restore('ver', {
      paths: [rel('docs/a.txt')],
      version: kept[0]!.date,
      overwriteNewer: true,
    });
    expect(result.restored).toEqual(['docs/a.txt']);
    expect(await fs.readFile(path.join(versionsDir, 'docs/a.txt'), 'utf8')).toBe('version one');
    await eventually(
      async () => expect(await fs.readFile(path.join(target, 'docs/a.txt'), 'utf8')).toBe('version one'),
      30_000,
    );
  });
});
