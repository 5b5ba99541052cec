// End to end: regex and glob excludes hold for live events and for full syncs (where regex rules become
// literal rsync rules), and the scheduled full sync repairs a target that lost files.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manifest } from '../helpers/manifest.js';
import { eventually, pairConfig, startHarness, tempDir } from '../helpers/engine-harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dirs(): Promise<[string, string]> {
  const [src, dest] = [await tempDir(), await tempDir()];
  cleanups.push(
    () => fs.rm(src, { recursive: true, force: true }),
    () => fs.rm(dest, { recursive: true, force: true }),
  );
  return [src, dest];
}

describe('excludes', () => {
  it('regex and glob excludes apply to the start-up sync and to live events', async () => {
    const [src, dest] = await dirs();
    await fs.mkdir(path.join(src, 'a/.svn'), { recursive: true });
    await fs.writeFile(path.join(src, 'a/.svn/entries'), 'svn');
    await fs.writeFile(path.join(src, 'odd[1]*.log.gz'), 'excluded by regex, a name full of wildcards');
    await fs.writeFile(path.join(src, 'q]r.gz'), 'excluded by regex');
    await fs.writeFile(path.join(src, 'keep.txt'), 'kept');
    await fs.mkdir(path.join(src, 'cache'));
    await fs.writeFile(path.join(src, 'cache/blob'), 'excluded by glob');
    const h = await startHarness(
      pairConfig({
        folder: src,
        excludes: { regex: ['(.*)\\.svn', '.*\\.gz'], glob: ['cache/'], defaultTemporary: true },
        targets: [{ url: path.join(dest, 'copy') }],
      }),
    );
    cleanups.push(() => h.stop());
    await h.engine.whenIdle();
    await fs.writeFile(path.join(src, 'a/.svn/live'), 'svn');
    await fs.writeFile(path.join(src, 'cache/live'), 'glob');
    await fs.writeFile(path.join(src, 'live.gz'), 'regex');
    await fs.writeFile(path.join(src, 'live.txt'), 'kept');
    await eventually(async () =>
      expect([...(await manifest(path.join(dest, 'copy'))).keys()].sort()).toEqual([
        'a',
        'keep.txt',
        'live.txt',
      ]),
    );
  });
});

describe('scheduled full sync', () => {
  it('runs on its cron schedule and repairs what the target lost, with its own excludes', async () => {
    const [src, dest] = await dirs();
    await fs.writeFile(path.join(src, 'f'), 'data');
    await fs.writeFile(path.join(src, 'big.iso'), 'not on schedule');
    const h = await startHarness(
      pairConfig({
        folder: src,
        fullSync: { onStart: false, schedule: '* * * * * *', excludes: ['*.iso'] },
        targets: [{ url: dest }],
      }),
    );
    cleanups.push(() => h.stop());
    await eventually(async () => expect(await fs.readFile(path.join(dest, 'f'), 'utf8')).toBe('data'), 5_000);
    await expect(fs.access(path.join(dest, 'big.iso'))).rejects.toThrow();
    await fs.rm(path.join(dest, 'f'));
    await eventually(async () => expect(await fs.readFile(path.join(dest, 'f'), 'utf8')).toBe('data'), 5_000);
    await eventually(() =>
      expect(h.batches.filter((b) => b.kind === 'full' && b.ok).length).toBeGreaterThanOrEqual(2),
    );
  });
});

describe('engine events for plugins and fail logs', () => {
  it('reports released changes and the paths of a failed run', async () => {
    const [src, dest] = await dirs();
    const h = await startHarness(
      pairConfig({
        folder: src,
        fullSync: { onStart: false },
        targets: [{ url: 'rsync://127.0.0.1:1/nothing-listens' }],
      }),
    );
    cleanups.push(() => h.stop());
    const changes: string[] = [];
    const failed: string[] = [];
    h.engine.on('changes', (info) => changes.push(...info.changes.map((c) => `${c.change}:${c.path}`)));
    h.engine.on('paths-failed', (info) => failed.push(...info.paths));
    await fs.writeFile(path.join(src, 'new é'), 'x');
    await eventually(() => expect(changes).toContain('upsert:new é'));
    await eventually(() => expect(failed).toContain('new é'));
    expect(dest).toBeTruthy();
  });
});
