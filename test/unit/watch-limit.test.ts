// The inotify watch limit (ENOSPC from inotify_add_watch) must become an actionable error naming the sysctl
// and the directory count, and the folder must fall back to periodic full syncs instead of a silent gap.
// The kernel limit is simulated by making fs.watch fail after N watches: lowering the real, machine-wide
// limit would break tests running in parallel (test/serial/watch-limit-real.test.ts lowers it, run alone, and
// covers the native backend). The simulation goes through fs.watch, so the pair here runs the fs.watch
// backend (RSYNC_LIVE_NO_NATIVE=1).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InotifyWatcher } from '../../electron/engine/watcher/inotify-watcher.js';
import { eventually, pairConfig, startHarness, tempDir } from '../helpers/engine-harness.js';

function limitWatchesTo(limit: number): void {
  const real = fs.watch.bind(fs);
  let used = 0;
  vi.spyOn(fs, 'watch').mockImplementation(((...args: Parameters<typeof fs.watch>) => {
    if (++used > limit)
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      });
    return real(...args);
  }) as typeof fs.watch);
}

async function tree(dirs: number): Promise<string> {
  const root = await tempDir();
  for (let i = 0; i < dirs; i++) await fsp.mkdir(path.join(root, `d${i}`));
  return root;
}

afterEach(() => vi.restoreAllMocks());

const noNative = process.env.RSYNC_LIVE_NO_NATIVE;
beforeAll(() => {
  process.env.RSYNC_LIVE_NO_NATIVE = '1';
});
afterAll(() => {
  if (noNative === undefined) delete process.env.RSYNC_LIVE_NO_NATIVE;
  else process.env.RSYNC_LIVE_NO_NATIVE = noNative;
});

describe('inotify watch limit', () => {
  it('reports the sysctl, a suggested value and the directories found', async () => {
    const root = await tree(30);
    limitWatchesTo(10);
    const watcher = new InotifyWatcher({ root: Buffer.from(root), folder: root, ignored: () => false });
    const errors: string[] = [];
    const rescans: string[] = [];
    watcher.on('error', (e) => errors.push(`${e.kind}: ${e.message}`));
    watcher.on('rescan', (r) => rescans.push(r));
    await watcher.start();
    await eventually(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatch(
      /^watch-limit: cannot watch .*: the inotify watch limit \(fs\.inotify\.max_user_watches\) was reached after 31 directories/,
    );
    expect(errors[0]).toMatch(/sysctl fs\.inotify\.max_user_watches=524288/);
    expect(rescans).toEqual(['inotify watch limit reached']);
    await watcher.close();
    await fsp.rm(root, { recursive: true });
  });

  it('the pair shows the error and keeps the target complete with periodic full syncs', async () => {
    const root = await tree(20);
    const dest = await tempDir();
    limitWatchesTo(5);
    const h = await startHarness(pairConfig({ folder: root, targets: [{ url: dest }] }));
    await eventually(() => expect(h.engine.state().pairs[0]?.watcher.error?.kind).toBe('watch-limit'));
    expect(h.engine.state().pairs[0]?.status).toBe('error');
    // d19 is beyond the 5 watches: only the fallback full sync (every 2 s in the harness) can carry this file.
    await fsp.writeFile(path.join(root, 'd19', 'unwatched.txt'), 'still synced');
    await eventually(
      async () =>
        expect(await fsp.readFile(path.join(dest, 'd19/unwatched.txt'), 'utf8')).toBe('still synced'),
      10_000,
    );
    await h.stop();
    await fsp.rm(root, { recursive: true });
    await fsp.rm(dest, { recursive: true });
  });
});
