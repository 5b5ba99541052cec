// Hands memory that a full sync (the start-up one above all: the walk of the tree, the first rsync runs, the
// module loading before them) needed and no longer does back to the system once it is over: two full garbage
// collections when node runs with --expose-gc (bin/rsync-live.js does), then glibc's malloc_trim through the
// native addon (the C heap keeps freed pages otherwise). ~2 MB of RSS watching 10,000 directories
// (docs/benchmarks.md, "Memory"); ~30 ms of CPU once per full sync, never on a repeating timer (an idle
// process must not wake up).
import { systemClock, type Clock } from './clock.js';
import type { Engine } from './engine.js';
import { loadNativeInotify } from './watcher/native-inotify.js';

/**
 * How long after a full sync ends the memory is released, restarted by every full sync that ends meanwhile:
 * the targets of a pair (and several pairs) end their start-up syncs close together, and one release is enough.
 */
export const RELEASE_SETTLE_MS = 1000;

export function releaseMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  // The second collection unmaps the pages the first one freed.
  if (typeof gc === 'function') {
    gc();
    gc();
  }
  loadNativeInotify().addon?.mallocTrim?.();
}

/** Calls `release` RELEASE_SETTLE_MS after a full sync of the engine's pairs ends; returns the stop function. */
export function releaseMemoryAfterFullSyncs(
  engine: Pick<Engine, 'on' | 'off'>,
  clock: Clock = systemClock,
  release: () => void = releaseMemory,
): () => void {
  let timer: unknown = null;
  const onBatchEnd = (summary: { kind: string }): void => {
    if (summary.kind !== 'full') return;
    if (timer !== null) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = null;
      release();
    }, RELEASE_SETTLE_MS);
  };
  engine.on('batch-end', onBatchEnd);
  return () => {
    engine.off('batch-end', onBatchEnd);
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };
}
