// The kernel's inotify queue overflowing, for real: fs.inotify.max_queued_events is lowered to a handful while
// the native watcher opens its descriptor (the kernel reads the limit when the descriptor is created), and put
// back in a finally right after. More events than that arrive before the watcher reads (synchronous writes),
// so the kernel drops them and queues IN_Q_OVERFLOW: the watcher must ask for a rescan and say why. The limit
// is machine-wide, so this file lives in test/serial/ (run alone, after every other test file). Needs root
// (writing /proc/sys); skipped otherwise, and says so.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../electron/engine/coalescer.js';
import { KernelWatcher } from '../../electron/engine/watcher/kernel-watcher.js';
import { loadNativeInotify } from '../../electron/engine/watcher/native-inotify.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const SYSCTL = '/proc/sys/fs/inotify/max_queued_events';
const canWriteSysctl =
  process.getuid?.() === 0 &&
  (await fsp.access(SYSCTL, fs.constants.W_OK).then(
    () => true,
    () => false,
  ));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('native inotify watcher: kernel queue overflow', () => {
  it('IN_Q_OVERFLOW asks for a rescan that says the kernel queue overflowed', async (context) => {
    if (!canWriteSysctl) {
      console.log(`skipped: cannot write ${SYSCTL} (needs root)`);
      context.skip();
      return;
    }
    const native = loadNativeInotify();
    if (!native.addon) throw new Error(`the native inotify addon does not load: ${native.reason}`);
    const root = await tempDir();
    cleanups.push(() => fsp.rm(root, { recursive: true, force: true }));
    const original = fs.readFileSync(SYSCTL, 'utf8').trim();
    let watcher: KernelWatcher;
    try {
      fs.writeFileSync(SYSCTL, '16\n');
      watcher = new KernelWatcher(native.addon, {
        root: Buffer.from(root),
        folder: root,
        ignored: () => false,
        kernelEvents: true,
      });
    } finally {
      fs.writeFileSync(SYSCTL, `${original}\n`);
    }
    expect(fs.readFileSync(SYSCTL, 'utf8').trim()).toBe(original);
    cleanups.push(() => watcher.close());
    const events: WatchEvent[] = [];
    const rescans: string[] = [];
    watcher.on('event', (event) => events.push(event));
    watcher.on('rescan', (reason) => rescans.push(reason));
    await watcher.start();
    // 100 files, 3 events each, queued before the watcher can read any of them.
    for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(root, `f${i}`), 'x');
    await eventually(() => expect(rescans).toHaveLength(1));
    expect(rescans[0]).toMatch(/kernel inotify queue overflowed .*max_queued_events.*events were lost/);
    expect(events.length).toBeLessThan(300);
    // Still watching afterwards.
    fs.writeFileSync(path.join(root, 'after'), 'x');
    await eventually(() => expect(events.some((e) => e.path === 'after' && e.kind === 'closed')).toBe(true));
  });
});
