// End to end, a watcher that fails: events that never arrive (the kernel queue overflowing is invisible to
// Node, a watch silently gone) and watches that error out. Events are muted by wrapping fs.watch, which the
// inotify backend uses for every directory; the engine itself is real. Whatever the watcher missed must be
// repaired by a full sync: the rescan after a lost watch, the verification after a burst, or one requested.
// The faults are injected through fs.watch, so these tests run the fs.watch backend (RSYNC_LIVE_NO_NATIVE=1);
// the native backend's own faults (queue overflow, unmount) are in test/serial/inotify-overflow.test.ts and
// test/unit/kernel-watcher.test.ts.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { diffManifests, manifest, waitForConverge } from '../helpers/manifest.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const noNative = process.env.RSYNC_LIVE_NO_NATIVE;
beforeAll(() => {
  process.env.RSYNC_LIVE_NO_NATIVE = '1';
});
afterAll(() => {
  if (noNative === undefined) delete process.env.RSYNC_LIVE_NO_NATIVE;
  else process.env.RSYNC_LIVE_NO_NATIVE = noNative;
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every fs.watch handle by directory; `muted` directories lose their change events. */
function tapWatches(): { handles: Map<string, fs.FSWatcher>; muted: Set<string> } {
  const real = fs.watch.bind(fs);
  const tap = { handles: new Map<string, fs.FSWatcher>(), muted: new Set<string>() };
  vi.spyOn(fs, 'watch').mockImplementation(((...args: Parameters<typeof fs.watch>) => {
    const handle = real(...args);
    const dir = String(args[0]);
    const emit = handle.emit.bind(handle);
    handle.emit = ((event: string | symbol, ...rest: unknown[]) =>
      event === 'change' && tap.muted.has(dir) ? false : emit(event, ...rest)) as typeof handle.emit;
    tap.handles.set(dir, handle);
    return handle;
  }) as typeof fs.watch);
  return tap;
}

async function setup(): Promise<{ src: string; dest: string; h: Harness; fullRunFiles: Set<string> }> {
  const src = await tempDir();
  const dest = await tempDir();
  cleanups.push(
    () => fsp.rm(src, { recursive: true, force: true }),
    () => fsp.rm(dest, { recursive: true, force: true }),
  );
  await fsp.mkdir(path.join(src, 'sub'));
  await fsp.writeFile(path.join(src, 'sub/old.txt'), 'old');
  await fsp.writeFile(path.join(src, 'top.txt'), 'top');
  const h = await startHarness(pairConfig({ folder: src, targets: [{ id: 'a', url: dest }] }));
  cleanups.push(() => h.stop());
  // Paths sent or deleted by full syncs (as opposed to batches of events).
  const fullRuns = new Set<number>();
  const fullRunFiles = new Set<string>();
  h.engine.on('batch-start', (b) => {
    if (b.kind === 'full') fullRuns.add(b.runId);
  });
  h.engine.on('file', (f) => {
    if (fullRuns.has(f.runId)) fullRunFiles.add(f.path);
  });
  await waitForConverge(src, dest);
  await h.engine.whenIdle();
  return { src, dest, h, fullRunFiles };
}

/** Every run started so far has ended (and reported its files). */
async function settle(h: Harness): Promise<void> {
  await h.engine.whenIdle();
  await eventually(() => expect(h.engine.state().pairs[0]?.targets[0]?.status).toBe('idle'));
}

/** The target really is missing the changes (the events were lost), measured after a moment of quiet. */
async function expectStale(src: string, dest: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 800));
  expect(diffManifests(await manifest(src), await manifest(dest)).length).toBeGreaterThan(0);
}

describe('watcher faults', () => {
  it('a watch that errors out is re-added and rescanned: the full sync repairs what it missed', async () => {
    const tap = tapWatches();
    const { src, dest, h, fullRunFiles } = await setup();
    const sub = path.join(src, 'sub');
    tap.muted.add(sub);
    await fsp.writeFile(path.join(sub, 'missed.txt'), 'never reported');
    await fsp.mkdir(path.join(sub, 'new/deeper'), { recursive: true });
    await fsp.writeFile(path.join(sub, 'new/deeper/file.txt'), 'never reported either');
    await fsp.rm(path.join(sub, 'old.txt'));
    await expectStale(src, dest);

    tap.muted.delete(sub);
    const handle = tap.handles.get(sub);
    expect(handle).toBeDefined();
    handle?.emit('error', Object.assign(new Error('simulated: the watch went away'), { code: 'EIO' }));
    await waitForConverge(src, dest);
    await settle(h);
    expect(fullRunFiles).toContain('sub/missed.txt');
    expect(fullRunFiles).toContain('sub/old.txt'); // deleted by the full sync
    // The directory is watched again: a later change arrives by itself, no full sync needed.
    const fullSyncs = h.batches.filter((b) => b.kind === 'full').length;
    await fsp.writeFile(path.join(sub, 'after.txt'), 'reported again');
    await waitForConverge(src, dest, { timeoutMs: 5_000 });
    expect(h.batches.filter((b) => b.kind === 'full').length).toBe(fullSyncs);
    expect(h.failures).toEqual([]);
  });

  it('an event without a name (the kernel dropped what it was about) triggers a rescan that repairs the target', async () => {
    const tap = tapWatches();
    const { src, dest, h, fullRunFiles } = await setup();
    tap.muted.add(src);
    await fsp.writeFile(path.join(src, 'lost.txt'), 'lost');
    await fsp.rm(path.join(src, 'top.txt'));
    await expectStale(src, dest);
    tap.muted.delete(src);
    tap.handles.get(src)?.emit('change', 'rename', null);
    await waitForConverge(src, dest);
    await settle(h);
    expect(fullRunFiles).toContain('lost.txt');
    expect(fullRunFiles).toContain('top.txt');
  });

  it('events lost during a burst are repaired by the verification full sync after it', async () => {
    const tap = tapWatches();
    const { src, dest, h, fullRunFiles } = await setup();
    const sub = path.join(src, 'sub');
    tap.muted.add(sub);
    await fsp.mkdir(path.join(src, 'burst'));
    for (let i = 0; i < 1_100; i++) await fsp.writeFile(path.join(src, 'burst', `b${i}`), `${i}`);
    await fsp.writeFile(path.join(sub, 'lost-in-the-burst.txt'), 'its event never came');
    // No full sync is asked for: the engine verifies the burst (>= 1,000 paths) once quiet for 2 s.
    await waitForConverge(src, dest, { timeoutMs: 20_000 });
    await settle(h);
    expect(fullRunFiles).toContain('sub/lost-in-the-burst.txt');
    expect(h.failures).toEqual([]);
  });

  it('a requested full sync ("Full sync now") repairs changes no event reported', async () => {
    const tap = tapWatches();
    const { src, dest, h, fullRunFiles } = await setup();
    tap.muted.add(src);
    tap.muted.add(path.join(src, 'sub'));
    await fsp.writeFile(path.join(src, 'sub/unseen.txt'), 'unseen');
    await fsp.writeFile(path.join(src, 'top.txt'), 'rewritten, unseen');
    await expectStale(src, dest);
    h.engine.fullSync('p');
    await waitForConverge(src, dest);
    await settle(h);
    expect(fullRunFiles).toContain('sub/unseen.txt');
    expect(fullRunFiles).toContain('top.txt');
  });
});
