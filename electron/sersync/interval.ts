// sersync's <crontab schedule="N">: a full sync of every synced folder every N minutes, counted from start
// (FileSynchronize.cpp QueueRetryThread), not a cron schedule. Runs on the injected Clock; the ticks are
// start + k·N minutes, so a slow full sync never shifts the later ones.
import { systemClock, type Clock } from '../engine/clock.js';

/** What the interval needs from the Engine: start a scheduled full sync of one pair. */
export interface FullSyncStarter {
  fullSync(pairId?: string, targetId?: string, reason?: 'requested' | 'schedule'): void;
}

/** Starts full syncs of `pairIds` every `minutes` minutes from now; returns the function that stops them. */
export function startFullSyncInterval(
  engine: FullSyncStarter,
  pairIds: readonly string[],
  minutes: number,
  clock: Clock = systemClock,
): () => void {
  if (!Number.isInteger(minutes) || minutes < 1)
    throw new RangeError('the interval must be at least 1 minute');
  const every = minutes * 60_000;
  const start = clock.now();
  let tick = 1;
  let handle: unknown = null;
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    handle = clock.setTimeout(
      () => {
        for (const id of pairIds) engine.fullSync(id, undefined, 'schedule');
        // Skip ticks already past (a suspended machine): the next one is in the future.
        tick = Math.max(tick + 1, Math.floor((clock.now() - start) / every) + 1);
        schedule();
      },
      Math.max(0, start + tick * every - clock.now()),
    );
  };
  schedule();
  return () => {
    stopped = true;
    if (handle !== null) clock.clearTimeout(handle);
  };
}
