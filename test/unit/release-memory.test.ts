// When the CLI gives memory back (electron/engine/release-memory.ts): once, RELEASE_SETTLE_MS after a full sync
// ends (restarted by another one ending meanwhile), never after path batches, never after it was stopped; and
// releaseMemory itself runs with or without --expose-gc and the native addon.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  RELEASE_SETTLE_MS,
  releaseMemory,
  releaseMemoryAfterFullSyncs,
} from '../../electron/engine/release-memory.js';
import type { Engine } from '../../electron/engine/engine.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup() {
  const engine = new EventEmitter() as unknown as Pick<Engine, 'on' | 'off' | 'emit'>;
  const clock = new FakeClock();
  let released = 0;
  const stop = releaseMemoryAfterFullSyncs(engine, clock, () => released++);
  const end = (kind: 'full' | 'paths' | 'tree' | 'move') =>
    (engine as unknown as EventEmitter).emit('batch-end', { kind });
  return { clock, end, stop, released: () => released };
}

describe('releaseMemoryAfterFullSyncs', () => {
  it('releases once, RELEASE_SETTLE_MS after a full sync ends', () => {
    const t = setup();
    t.end('full');
    t.clock.advance(RELEASE_SETTLE_MS - 1);
    expect(t.released()).toBe(0);
    t.clock.advance(1);
    expect(t.released()).toBe(1);
    t.clock.advance(10 * RELEASE_SETTLE_MS);
    expect(t.released()).toBe(1);
  });

  it('waits for the last of full syncs ending close together, and ignores other batches', () => {
    const t = setup();
    t.end('paths');
    t.end('tree');
    t.end('move');
    t.clock.advance(10 * RELEASE_SETTLE_MS);
    expect(t.released()).toBe(0);
    t.end('full');
    t.clock.advance(RELEASE_SETTLE_MS / 2);
    t.end('full');
    t.clock.advance(RELEASE_SETTLE_MS / 2);
    expect(t.released()).toBe(0);
    t.clock.advance(RELEASE_SETTLE_MS / 2);
    expect(t.released()).toBe(1);
  });

  it('does nothing once stopped, even for a full sync that ended before', () => {
    const t = setup();
    t.end('full');
    t.stop();
    t.end('full');
    t.clock.advance(10 * RELEASE_SETTLE_MS);
    expect(t.released()).toBe(0);
  });
});

describe('releaseMemory', () => {
  it('runs in a process without --expose-gc (vitest) and with the addon present or not', () => {
    expect(() => releaseMemory()).not.toThrow();
  });
});
