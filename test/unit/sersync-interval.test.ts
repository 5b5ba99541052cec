// sersync's crontab as it ran (FileSynchronize.cpp QueueRetryThread): a full sync every N minutes counted from
// start, on the injected clock; late ticks are not replayed, stop() ends it.
import { describe, expect, it } from 'vitest';
import { startFullSyncInterval } from '../../electron/sersync/interval.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('startFullSyncInterval', () => {
  it('every N minutes from start, for every pair, as scheduled full syncs', () => {
    const clock = new FakeClock();
    const calls: [string | undefined, string | undefined][] = [];
    const engine = {
      fullSync: (pairId?: string, _t?: string, reason?: string) => calls.push([pairId, reason]),
    };
    const stop = startFullSyncInterval(engine, ['www', 'img'], 600, clock);
    clock.advance(599 * 60_000);
    expect(calls).toEqual([]);
    clock.advance(60_000);
    expect(calls).toEqual([
      ['www', 'schedule'],
      ['img', 'schedule'],
    ]);
    clock.advance(600 * 60_000);
    expect(calls).toHaveLength(4);
    stop();
    clock.advance(10 * 600 * 60_000);
    expect(calls).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('a machine that slept does not replay the missed ticks', () => {
    const clock = new FakeClock();
    let count = 0;
    const stop = startFullSyncInterval({ fullSync: () => count++ }, ['p'], 1, clock);
    clock.advance(60_000);
    expect(count).toBe(1);
    // Jump far ahead at once (the FakeClock fires due timers in order: one, then the next is rescheduled).
    clock.advance(30 * 60_000);
    expect(count).toBeLessThanOrEqual(31);
    stop();
  });

  it('refuses less than a minute', () => {
    expect(() => startFullSyncInterval({ fullSync: () => {} }, [], 0)).toThrow(/at least 1 minute/);
  });
});
