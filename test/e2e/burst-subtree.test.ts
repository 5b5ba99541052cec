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
import { pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

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
});
