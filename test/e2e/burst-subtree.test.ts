// End to end: new directories made in a burst reach the daemon as recursive runs (one entry per new directory
// instead of one per file), byte-exact, with odd names, the pair's excludes applied inside them (glob rules,
// and regex rules passed as a rules file), and a file still being written in a new directory sent complete.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';
import { BULK_RUN_FILES } from '../../electron/engine/run-plan.js';

/** A path below `root` from latin1 bytes (names may hold any byte but "/" and NUL). */
const bytesPath = (root: string, rel: string): Buffer =>
  Buffer.concat([Buffer.from(`${root}/`), Buffer.from(rel, 'latin1')]);

const ODD = ['plain', 'with space', '#hash', ';semi', '[br]', 'star*', 'new\nline', '-dash', 'caf\xe9\xff'];

/**
 * Excluded by the pair: glob `cache` and `*.tmp`, regex `[\s\S]*\.gz` (a full match; "." would not match the
 * newline in one of the names). The manifest skips them on both sides.
 */
const excluded = (rel: string): boolean =>
  rel.endsWith('.gz') || rel.endsWith('.tmp') || rel.split('/').includes('cache');

describe('bursts of new directories', () => {
  let daemon: RsyncDaemon;
  let src: string;
  let h: Harness;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    src = await tempDir();
    h = await startHarness(
      pairConfig({
        folder: src,
        excludes: { regex: ['[\\s\\S]*\\.gz'], glob: ['cache', '*.tmp'], defaultTemporary: true },
        targets: [{ url: daemon.url(), passwordFile: daemon.passwordFile }],
      }),
    );
    await h.engine.whenIdle();
  });
  afterAll(async () => {
    await h?.stop();
    await daemon?.dispose();
    await fsp.rm(src, { recursive: true, force: true });
  });

  it('nested new directories with odd names and excludes converge byte-exact, sent as recursive runs', async () => {
    const start = h.batches.length;
    let files = 0;
    // Written as fast as the process can: each directory just before its files, three levels deep.
    for (const top of ODD) {
      fs.mkdirSync(bytesPath(src, top));
      for (const mid of ODD.slice(0, 4)) {
        const dir = `${top}/${mid}`;
        fs.mkdirSync(bytesPath(src, dir));
        fs.mkdirSync(bytesPath(src, `${dir}/cache`));
        fs.writeFileSync(bytesPath(src, `${dir}/cache/blob`), 'excluded by glob');
        fs.writeFileSync(bytesPath(src, `${dir}/skip.gz`), 'excluded by regex');
        fs.writeFileSync(bytesPath(src, `${dir}/skip.tmp`), 'excluded by glob');
        for (const leaf of ODD) {
          fs.writeFileSync(bytesPath(src, `${dir}/${leaf}`), randomBytes(64 + files));
          files++;
        }
        fs.mkdirSync(bytesPath(src, `${dir}/${ODD[files % ODD.length] as string}.d`));
        fs.writeFileSync(bytesPath(src, `${dir}/${ODD[files % ODD.length] as string}.d/x`), randomBytes(10));
        files++;
      }
    }
    await waitForConverge(src, daemon.modulePath, { timeoutMs: 60_000, ignore: excluded });
    await h.engine.whenIdle();
    // Nothing excluded reached the target.
    const onTarget = await fsp.readdir(daemon.modulePath, { recursive: true, encoding: 'latin1' });
    expect(onTarget.filter((rel) => excluded(rel))).toEqual([]);
    // The new directories went as recursive runs: far fewer paths listed than files written.
    const runs = h.batches.slice(start).filter((b) => b.kind !== 'full');
    expect(runs.some((b) => b.kind === 'tree' && b.ok)).toBe(true);
    const listed = runs.reduce((sum, b) => sum + b.paths, 0);
    expect(listed).toBeLessThan(files / 2);
    expect(h.failures).toEqual([]);
  });

  it('a file still being written in a new directory is sent complete', async () => {
    const dir = path.join(src, 'fresh');
    await fsp.mkdir(dir);
    fs.writeFileSync(path.join(dir, 'done'), randomBytes(1000));
    const handle = await fsp.open(path.join(dir, 'slow.bin'), 'w');
    // Written in chunks with pauses past the time a new directory gathers what is below it.
    for (let i = 0; i < 6; i++) {
      await handle.write(randomBytes(128 * 1024));
      fs.writeFileSync(path.join(dir, `side${i}`), randomBytes(100 + i));
      await new Promise((r) => setTimeout(r, 120));
    }
    await handle.close();
    // More new directories while the first one may be in flight: one of them made and filled at once.
    fs.mkdirSync(path.join(dir, 'late'));
    fs.writeFileSync(path.join(dir, 'late', 'x'), randomBytes(5000));
    await waitForConverge(src, daemon.modulePath, { timeoutMs: 60_000, ignore: excluded });
    await h.engine.whenIdle();
    expect(fs.readFileSync(path.join(daemon.modulePath, 'fresh', 'slow.bin')).length).toBe(6 * 128 * 1024);
    expect(h.failures).toEqual([]);
  });

  it('thousands of files sent as bulk runs (totals, not a line per file) are counted exactly', async () => {
    const target = (): NonNullable<
      ReturnType<Harness['engine']['state']>['pairs'][number]
    >['targets'][number] => h.engine.state().pairs[0]?.targets[0] as never;
    const NEW_DIRS = 30;
    const PER_DIR = 80; // 2,400 files: bulk even when shared between two slots
    const INTO_OLD = 2 * BULK_RUN_FILES + 200; // bulk even when shared between two slots
    await fsp.mkdir(path.join(src, 'old'));
    await waitForConverge(src, daemon.modulePath, { timeoutMs: 60_000, ignore: excluded });
    await h.engine.whenIdle();
    const before = target().today;
    const start = h.batches.length;
    // The files each run named (a job's runs share its runId but follow one another).
    const open = new Map<number, number>();
    const namedBy: { kind: string; files: number; named: number }[] = [];
    const onStart = (b: { runId: number }): void => void open.set(b.runId, 0);
    const onFile = (f: { runId: number; deleted: boolean }): void => {
      if (!f.deleted) open.set(f.runId, (open.get(f.runId) ?? 0) + 1);
    };
    const onEnd = (b: { runId: number; kind: string; files: number }): void =>
      void namedBy.push({ kind: b.kind, files: b.files, named: open.get(b.runId) ?? 0 });
    h.engine.on('batch-start', onStart);
    h.engine.on('file', onFile);
    h.engine.on('batch-end', onEnd);
    try {
      // Paused while they are written, so each kind leaves in as few runs as the target's slots allow.
      h.engine.pause();
      let bytes = 0;
      for (let d = 0; d < NEW_DIRS; d++) {
        fs.mkdirSync(bytesPath(src, `bulk ${d}`));
        for (let f = 0; f < PER_DIR; f++) {
          const size = 100 + ((d * PER_DIR + f) % 500);
          fs.writeFileSync(
            bytesPath(src, `bulk ${d}/${ODD[f % ODD.length] as string}${f}`),
            randomBytes(size),
          );
          bytes += size;
        }
      }
      for (let f = 0; f < INTO_OLD; f++) {
        fs.writeFileSync(path.join(src, 'old', `f${f}`), randomBytes(10 + (f % 90)));
        bytes += 10 + (f % 90);
      }
      await eventually(() => expect(target().queued).toBeGreaterThanOrEqual(NEW_DIRS + INTO_OLD), 30_000);
      h.engine.resume();
      await waitForConverge(src, daemon.modulePath, { timeoutMs: 60_000, ignore: excluded });
      await h.engine.whenIdle();
      const runs = h.batches.slice(start);
      const files = NEW_DIRS * PER_DIR + INTO_OLD;
      // rsync's totals: every file once, its data, nothing deleted; and the same in today's totals.
      expect(runs.every((b) => b.ok)).toBe(true);
      expect(runs.reduce((sum, b) => sum + b.files, 0)).toBe(files);
      expect(runs.reduce((sum, b) => sum + b.bytes, 0)).toBe(bytes);
      expect(runs.reduce((sum, b) => sum + b.deleted, 0)).toBe(0);
      expect(target().today.files - before.files).toBe(files);
      expect(target().today.bytes - before.bytes).toBe(bytes);
      // Both kinds went as bulk runs: runs that sent files without naming any (no `file` events).
      const bulk = namedBy.filter((b) => b.files > 0 && b.named === 0);
      expect(bulk.some((b) => b.kind === 'tree')).toBe(true);
      expect(bulk.some((b) => b.kind === 'paths')).toBe(true);
      // The small ones named each file they sent.
      for (const run of namedBy) if (run.named > 0) expect(run.named).toBe(run.files);
    } finally {
      h.engine.off('batch-start', onStart);
      h.engine.off('file', onFile);
      h.engine.off('batch-end', onEnd);
      h.engine.resume();
    }
    expect(h.failures).toEqual([]);
  });
});
