// When the CLI drops the bin's small-heap node flags (electron/cli/heap-flags.ts): chokidar relaunches once,
// inotify (native or its fs.watch fallback) keeps them.
import { describe, expect, it } from 'vitest';
import {
  FULL_HEAP_ENV,
  fullHeapReason,
  smallHeapFlags,
  withoutSmallHeapFlags,
} from '../../electron/cli/heap-flags.js';

const FLAGS = ['--max-semi-space-size=1', '--single-threaded'];

describe('fullHeapReason', () => {
  it('relaunches for chokidar, not for inotify', () => {
    expect(fullHeapReason([{ watcher: 'chokidar' }], {}, FLAGS)).toBe('the chokidar watcher');
    expect(fullHeapReason([{ watcher: 'inotify' }], { RSYNC_LIVE_NO_NATIVE: '1' }, FLAGS)).toBeNull();
    expect(fullHeapReason([{ watcher: 'inotify' }, { watcher: 'chokidar' }], {}, FLAGS)).toBe(
      'the chokidar watcher',
    );
  });

  it('never relaunches twice, without the flags, or without a chokidar pair', () => {
    expect(fullHeapReason([{ watcher: 'chokidar' }], { [FULL_HEAP_ENV]: '1' }, FLAGS)).toBeNull();
    expect(fullHeapReason([{ watcher: 'chokidar' }], {}, ['--inspect'])).toBeNull();
    expect(fullHeapReason([], {}, FLAGS)).toBeNull();
  });

  it('knows the small-heap flags among others', () => {
    expect(
      smallHeapFlags([
        '--inspect',
        '--max-semi-space-size',
        '--optimize-for-size',
        '--single-threaded-gc',
        '--no-opt',
        '--expose-gc',
        '--no-optimize',
      ]),
    ).toEqual(['--max-semi-space-size', '--optimize-for-size', '--no-opt', '--expose-gc']);
  });

  it('drops only the small-heap flags when relaunching', () => {
    expect(
      withoutSmallHeapFlags([
        '--max-semi-space-size',
        '1',
        '--inspect=9229',
        '--single-threaded',
        '--no-opt',
        '--expose-gc',
        '--stack-size=2000',
      ]),
    ).toEqual(['--inspect=9229', '--stack-size=2000']);
  });
});
