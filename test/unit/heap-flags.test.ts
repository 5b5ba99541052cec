// When the CLI drops the bin's small-heap node flags (electron/cli/heap-flags.ts): chokidar and the fs.watch
// fallback relaunch once, the native backend keeps them.
import { describe, expect, it } from 'vitest';
import {
  FULL_HEAP_ENV,
  fullHeapReason,
  smallHeapFlags,
  withoutSmallHeapFlags,
} from '../../electron/cli/heap-flags.js';
import type { InotifyAddon, NativeLoad } from '../../electron/engine/watcher/native-inotify.js';

const FLAGS = ['--max-semi-space-size=1', '--single-threaded'];
const native: () => NativeLoad = () => ({ addon: {} as InotifyAddon, reason: null });
const noNative: () => NativeLoad = () => ({ addon: null, reason: 'RSYNC_LIVE_NO_NATIVE=1' });

describe('fullHeapReason', () => {
  it('relaunches for chokidar and for the fs.watch fallback, not for native inotify', () => {
    expect(fullHeapReason([{ watcher: 'chokidar' }], {}, FLAGS, native)).toBe('the chokidar watcher');
    expect(fullHeapReason([{ watcher: 'inotify' }], {}, FLAGS, noNative)).toBe(
      'the fs.watch fallback (RSYNC_LIVE_NO_NATIVE=1)',
    );
    expect(fullHeapReason([{ watcher: 'inotify' }], {}, FLAGS, native)).toBeNull();
    expect(fullHeapReason([{ watcher: 'inotify' }, { watcher: 'chokidar' }], {}, FLAGS, native)).toBe(
      'the chokidar watcher',
    );
  });

  it('never relaunches twice, without the flags, or without a watched pair', () => {
    expect(fullHeapReason([{ watcher: 'chokidar' }], { [FULL_HEAP_ENV]: '1' }, FLAGS, native)).toBeNull();
    expect(fullHeapReason([{ watcher: 'chokidar' }], {}, ['--inspect'], native)).toBeNull();
    expect(fullHeapReason([], {}, FLAGS, noNative)).toBeNull();
  });

  it('knows the small-heap flags among others', () => {
    expect(
      smallHeapFlags(['--inspect', '--max-semi-space-size', '--optimize-for-size', '--single-threaded-gc']),
    ).toEqual(['--max-semi-space-size', '--optimize-for-size']);
  });

  it('drops only the small-heap flags when relaunching', () => {
    expect(
      withoutSmallHeapFlags([
        '--max-semi-space-size',
        '1',
        '--inspect=9229',
        '--single-threaded',
        '--stack-size=2000',
      ]),
    ).toEqual(['--inspect=9229', '--stack-size=2000']);
  });
});
