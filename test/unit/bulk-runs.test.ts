// Bulk runs (run-plan.ts: reportsEachFile, BULK_RUN_FILES): runs that only send many files ask rsync for its
// totals (--info=stats2) instead of a line per file, and the totals are read back from rsync's own output.
import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import type { PathChange } from '../../electron/engine/path-change.js';
import { buildArgs, OUT_FORMAT } from '../../electron/engine/rsync/command.js';
import { LineSplitter, parseLine, type OutputItem } from '../../electron/engine/rsync/output.js';
import { parseTarget } from '../../electron/engine/rsync/target.js';
import {
  BULK_RUN_FILES,
  planRun,
  reportsEachFile,
  type PlanContext,
} from '../../electron/engine/run-plan.js';
import { SentToday } from '../../electron/shared/sent-today.js';
import { oldRsyncBinary, oldRsyncMissing, OLD_RSYNC_VERSIONS } from '../helpers/rsync-daemon.js';

const upsert = (path: string): PathChange => ({ path: path as RelPath, change: 'upsert', dir: false });
const files = (n: number): PathChange[] => Array.from({ length: n }, (_, i) => upsert(`d/f${i}`));

const ctx: PlanContext = {
  folder: '/home/me/Photos',
  target: parseTarget('rsync://backup@nas/photos'),
  deletion: 'mirror',
  options: { extraArgs: [], timeoutSec: 30, contimeoutSec: 10, bwlimitKiB: 0 },
  passwordFile: null,
  excludeGlobs: [],
  excludedPaths: [],
  keptPaths: [],
  today: '2026-12-05',
  maxDelete: null,
};

describe('which runs report each file', () => {
  it('a subtree run covering fewer than BULK_RUN_FILES entries names each file; from that many on, totals', () => {
    const dir = (name: string, covers: number): PathChange => ({
      path: name as RelPath,
      change: 'upsert',
      dir: true,
      subtree: true,
      covers,
    });
    const half = BULK_RUN_FILES / 2;
    expect(reportsEachFile({ kind: 'subtree', changes: [dir('a', half), dir('b', half - 1)] })).toBe(true);
    expect(reportsEachFile({ kind: 'subtree', changes: [dir('a', half), dir('b', half)] })).toBe(false);
    // A directory without a count (sent again after a failure) counts as one entry.
    expect(
      reportsEachFile({ kind: 'subtree', changes: [{ path: 'x' as RelPath, change: 'upsert', dir: true }] }),
    ).toBe(true);
  });

  it('a paths run of many files names each one as soon as a deletion or a move is among them', () => {
    expect(reportsEachFile({ kind: 'paths', changes: files(BULK_RUN_FILES - 1) })).toBe(true);
    expect(reportsEachFile({ kind: 'paths', changes: files(BULK_RUN_FILES) })).toBe(false);
    const withDelete = [
      ...files(BULK_RUN_FILES),
      { path: 'gone' as RelPath, change: 'delete' as const, dir: false },
    ];
    expect(reportsEachFile({ kind: 'paths', changes: withDelete })).toBe(true);
    const withMove = [...files(BULK_RUN_FILES), { ...upsert('new'), from: 'old' as RelPath }];
    expect(reportsEachFile({ kind: 'paths', changes: withMove })).toBe(true);
  });

  it('tree runs and full syncs always name each file (their deletions are reported and judged)', () => {
    const many = files(BULK_RUN_FILES * 2).map((c) => ({ ...c, change: 'tree' as const, dir: true }));
    expect(reportsEachFile({ kind: 'tree', changes: many })).toBe(true);
    expect(reportsEachFile({ kind: 'full', reason: 'start-up' })).toBe(true);
  });

  it('a bulk run asks rsync for its totals instead of itemized lines and progress; a dry run never does', () => {
    const bulk = planRun({ kind: 'paths', changes: files(BULK_RUN_FILES) }, ctx);
    expect(bulk.eachFile).toBe(false);
    expect(bulk.args).toContain('--info=stats2');
    expect(bulk.args.some((a) => a.startsWith('--out-format') || a === '--info=progress2')).toBe(false);
    const small = planRun({ kind: 'paths', changes: files(3) }, ctx);
    expect(small.eachFile).toBe(true);
    expect(small.args).toEqual(expect.arrayContaining([`--out-format=${OUT_FORMAT}`, '--info=progress2']));
    expect(small.args).not.toContain('--info=stats2');
    const dry = planRun({ kind: 'paths', changes: files(BULK_RUN_FILES) }, { ...ctx, dryRun: true });
    expect(dry.eachFile).toBe(true);
    // The option sits with the others, before the source and destination.
    const args = buildArgs({ ...ctx, kind: 'subtree', eachFile: false });
    expect(args.indexOf('--info=stats2')).toBeLessThan(args.length - 2);
  });
});

describe('reading rsync totals', () => {
  it('reads files sent, their size and entries deleted, with or without digit separators', () => {
    expect(parseLine('Number of regular files transferred: 20000')).toEqual({
      type: 'stat',
      name: 'files',
      value: 20000,
    });
    expect(parseLine('Number of regular files transferred: 20,000')).toMatchObject({ value: 20000 });
    expect(parseLine('Total transferred file size: 81920000 bytes')).toEqual({
      type: 'stat',
      name: 'bytes',
      value: 81920000,
    });
    expect(parseLine('Number of deleted files: 3 (reg: 2, dir: 1)')).toEqual({
      type: 'stat',
      name: 'deleted',
      value: 3,
    });
    expect(parseLine('Number of deleted files: 0')).toMatchObject({ name: 'deleted', value: 0 });
    // The other totals are not read.
    expect(parseLine('Total file size: 81920000 bytes')).toBeNull();
    expect(parseLine('Number of files: 20401 (reg: 20000, dir: 401)')).toBeNull();
  });

  // The client's rsync prints the totals: this machine's and the oldest release the engine supports (built by
  // .ci/run; locally, without the build, that case is skipped with a warning, as the compatibility suite does).
  const oldest = OLD_RSYNC_VERSIONS[0];
  const clients = [
    { name: 'rsync on PATH', bin: 'rsync', missing: null },
    { name: `rsync ${oldest}`, bin: oldRsyncBinary(oldest), missing: oldRsyncMissing(oldest) },
  ];
  it.each(clients)(
    'reads the totals $name prints for a run that sends and deletes',
    async ({ bin, missing }) => {
      if (missing !== null) {
        if (process.env['CI'] === 'true') throw new Error(`CI needs the old rsync builds: ${missing}`);
        console.warn(`SKIPPED: ${missing}`);
        return;
      }
      const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'rl-stats-'));
      try {
        await fsp.mkdir(path.join(root, 'src/d'), { recursive: true });
        await fsp.mkdir(path.join(root, 'dst'));
        await fsp.writeFile(path.join(root, 'src/d/a'), Buffer.alloc(1500, 1));
        await fsp.writeFile(path.join(root, 'src/d/b c'), Buffer.alloc(2500, 2));
        await fsp.writeFile(path.join(root, 'dst/gone'), 'x');
        const args = buildArgs({
          ...ctx,
          kind: 'paths',
          folder: path.join(root, 'src'),
          target: parseTarget(path.join(root, 'dst')),
          eachFile: false,
        }).filter((a) => !a.startsWith('--modify-window') && a !== '--mkpath');
        const out = execFileSync(bin, args, { input: 'd\0d/a\0d/b c\0gone\0' });
        const items: OutputItem[] = [];
        const splitter = new LineSplitter();
        const take = (line: string): void => {
          const item = parseLine(line);
          if (item) items.push(item);
        };
        splitter.push(out, take);
        splitter.end(take);
        expect(items).toEqual([
          { type: 'stat', name: 'deleted', value: 1 },
          { type: 'stat', name: 'files', value: 2 },
          { type: 'stat', name: 'bytes', value: 4000 },
        ]);
      } finally {
        await fsp.rm(root, { recursive: true, force: true });
      }
    },
  );
});

describe('sent today: bulk runs', () => {
  it('adds a bulk run’s totals to the named files, and starts again at midnight', () => {
    const sent = new SentToday('2026-12-05');
    sent.add('2026-12-05', 'a', 10);
    sent.addUnnamed('2026-12-05', 2000, 8_192_000);
    expect(sent.totals('2026-12-05')).toEqual({ date: '2026-12-05', files: 2001, bytes: 8_192_010 });
    sent.addUnnamed('2026-12-06', 5, 50);
    expect(sent.totals('2026-12-06')).toEqual({ date: '2026-12-06', files: 5, bytes: 50 });
  });
});
