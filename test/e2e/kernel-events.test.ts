// End to end through the engine with the native inotify backend: a file is sent once its writer closes it
// (never half-written on the target), and moves inside the folder reach the daemon without re-sending the
// moved data (bytes from the daemon's transfer log), the old paths deleted only after the new ones arrived.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDaemonLog, TRANSFER_LOG_FORMAT } from '../../bench/daemon-log.js';
import { loadNativeInotify } from '../../electron/engine/watcher/native-inotify.js';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const MiB = 1024 * 1024;

describe('kernel events through the engine (native inotify backend)', () => {
  let daemon: RsyncDaemon;
  let src: string;
  let h: Harness;
  const sentSince = async (offset: number) =>
    parseDaemonLog((await daemon.readLog()).slice(offset), new Set([daemon.moduleName]));

  beforeAll(async () => {
    expect(loadNativeInotify().reason, 'the native addon must be built (npm run build)').toBeNull();
    daemon = await startRsyncDaemon({
      socketNodelay: true,
      modules: [{ extra: { 'transfer logging': 'yes', 'log format': TRANSFER_LOG_FORMAT } }],
    });
    src = await tempDir();
    h = await startHarness(
      pairConfig({ folder: src, targets: [{ url: daemon.url(), passwordFile: daemon.passwordFile }] }),
    );
    await h.engine.whenIdle();
    expect(h.engine.state().pairs[0]?.watcher.backend).toBe('inotify');
  });
  afterAll(async () => {
    await h?.stop();
    await daemon?.dispose();
    await fs.rm(src, { recursive: true, force: true });
  });

  it('a file written slowly and held open is sent once, after its writer closes it', async () => {
    const before = (await daemon.readLog()).length;
    const file = path.join(src, 'slow.bin');
    const target = path.join(daemon.modulePath, 'slow.bin');
    const chunk = randomBytes(256 * 1024);
    const handle = await fs.open(file, 'w');
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      await handle.write(chunk);
      // While the writer holds it open, the target never has a part of it.
      const deadline = Date.now() + 400;
      while (Date.now() < deadline) {
        const size = await fs.stat(target).then(
          (s) => s.size,
          () => -1,
        );
        seen.add(size);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    await handle.close();
    await eventually(async () => expect((await fs.stat(target)).size).toBe(8 * chunk.length));
    expect([...seen]).toEqual([-1]);
    await h.engine.whenIdle();
    expect((await sentSince(before)).files.get('slow.bin')?.count).toBe(1);
  });

  it('moves send at most 1 % of the moved bytes, and the target ends identical', async () => {
    await fs.mkdir(path.join(src, 'album'));
    for (let i = 0; i < 6; i++)
      await fs.writeFile(path.join(src, 'album', `track${i}.flac`), randomBytes(MiB + i));
    await fs.mkdir(path.join(src, 'videos'));
    await fs.writeFile(path.join(src, 'videos', 'holiday.mp4'), randomBytes(3 * MiB));
    await fs.mkdir(path.join(src, 'projects/alpha'), { recursive: true });
    await fs.writeFile(path.join(src, 'projects/alpha/data.bin'), randomBytes(2 * MiB));
    await fs.writeFile(path.join(src, 'notes.txt'), randomBytes(512 * 1024));
    // Made (and watched) before the moves: the next test moves into directories made a moment before.
    await fs.mkdir(path.join(src, 'archive'));
    await waitForConverge(src, daemon.modulePath);
    await h.engine.whenIdle();
    const moved = 6 * MiB + 15 + 3 * MiB + 2 * MiB + 512 * 1024;
    const before = (await daemon.readLog()).length;
    // One after the other without yielding, as a script's mv commands run.
    const at = (rel: string): string => path.join(src, rel);
    renameSync(at('album'), at('album (2019)')); // a directory renamed
    renameSync(at('videos/holiday.mp4'), at('archive/holiday-cut.mp4')); // other folder, new name
    renameSync(at('notes.txt'), at('notes-old.txt')); // renamed in place
    renameSync(at('projects/alpha'), at('archive/alpha')); // under another parent
    await waitForConverge(src, daemon.modulePath, { timeoutMs: 30_000 });
    await h.engine.whenIdle();
    const sent = await sentSince(before);
    expect(sent.dataBytes).toBeLessThanOrEqual(moved / 100);
    expect(h.engine.state().pairs[0]?.deleteGuard).toBeNull();
  });

  it('a move into a directory made a moment before (mkdir; mv, as a script runs them) sends no data again', async () => {
    await fs.mkdir(path.join(src, 'photos/y2019'), { recursive: true });
    for (let i = 0; i < 200; i++)
      await fs.writeFile(path.join(src, 'photos/y2019', `p${i}.jpg`), randomBytes(20_000));
    for (let i = 0; i < 4; i++) await fs.writeFile(path.join(src, 'photos', `raw${i}.dng`), randomBytes(MiB));
    await fs.writeFile(path.join(src, 'todo.txt'), randomBytes(256 * 1024));
    await waitForConverge(src, daemon.modulePath);
    await h.engine.whenIdle();
    const moved = 200 * 20_000 + 4 * MiB + 256 * 1024;
    const before = (await daemon.readLog()).length;
    // The new directory is watched only after the moves into it: the kernel reports their IN_MOVED_FROM alone.
    const at = (rel: string): string => path.join(src, rel);
    mkdirSync(at('by-year'));
    renameSync(at('photos'), at('by-year/photos'));
    mkdirSync(at('done'));
    renameSync(at('todo.txt'), at('done/todo.txt'));
    await waitForConverge(src, daemon.modulePath, { timeoutMs: 30_000 });
    await h.engine.whenIdle();
    expect((await sentSince(before)).dataBytes).toBeLessThanOrEqual(moved / 100);
    expect(h.engine.state().pairs[0]?.deleteGuard).toBeNull();
  });

  it('a rename chain and a move then a modify end right', async () => {
    await fs.writeFile(path.join(src, 'a.txt'), 'first');
    await waitForConverge(src, daemon.modulePath);
    await fs.rename(path.join(src, 'a.txt'), path.join(src, 'b.txt'));
    await fs.rename(path.join(src, 'b.txt'), path.join(src, 'c.txt'));
    await fs.appendFile(path.join(src, 'c.txt'), ' and more');
    await waitForConverge(src, daemon.modulePath);
    expect(await fs.readFile(path.join(daemon.modulePath, 'c.txt'), 'utf8')).toBe('first and more');
  });
});
