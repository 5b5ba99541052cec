import { describe, expect, it } from 'vitest';
import { checkIntervalMs, procIoProbe, watchStall } from '../../electron/engine/rsync/stall-watchdog.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('stall watchdog', () => {
  it('fires once after the limit without progress, not before', () => {
    const clock = new FakeClock();
    const stalls: number[] = [];
    watchStall({ clock, stallMs: 10_000, probe: () => 42, onStall: (ms) => stalls.push(ms) });
    clock.advance(9_000);
    expect(stalls).toEqual([]);
    clock.advance(1_000);
    expect(stalls).toEqual([10_000]);
    clock.advance(60_000);
    expect(stalls).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('any change of the I/O counter or a touch() counts as progress', () => {
    const clock = new FakeClock();
    let bytes = 0;
    let stalled = false;
    const watch = watchStall({
      clock,
      stallMs: 4_000,
      probe: () => bytes,
      onStall: () => {
        stalled = true;
      },
    });
    for (let i = 0; i < 10; i++) {
      clock.advance(3_000);
      bytes += 1;
    }
    expect(stalled).toBe(false);
    for (let i = 0; i < 10; i++) {
      clock.advance(3_000);
      watch.touch();
    }
    expect(stalled).toBe(false);
    clock.advance(5_000);
    expect(stalled).toBe(true);
  });

  it('an unreadable counter (null) is no progress; stop() ends the checks', () => {
    const clock = new FakeClock();
    let stalled = false;
    const watch = watchStall({ clock, stallMs: 2_000, probe: () => null, onStall: () => (stalled = true) });
    watch.stop();
    clock.advance(10_000);
    expect(stalled).toBe(false);
    expect(clock.pending).toBe(0);
    expect(checkIntervalMs(60_000)).toBe(1_000);
    expect(checkIntervalMs(100)).toBe(50);
  });

  it('reads rchar + wchar of a live process, null for a gone one', () => {
    const probe = procIoProbe(process.pid);
    const first = probe();
    expect(first).toBeGreaterThan(0);
    expect(procIoProbe(2 ** 22 + 12345)()).toBeNull();
  });
});
