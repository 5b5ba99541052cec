import { describe, expect, it } from 'vitest';
import { Coalescer, type PathChange } from '../../electron/engine/coalescer.js';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { FakeClock } from '../helpers/fake-clock.js';

const p = (s: string) => s as RelPath;

function setup(delayMs = 50, maxDelayMs = 1000) {
  const clock = new FakeClock();
  const flushes: PathChange[][] = [];
  const coalescer = new Coalescer({
    delayMs,
    maxDelayMs,
    clock,
    onFlush: (changes) => flushes.push(changes),
  });
  return { clock, flushes, coalescer };
}

describe('Coalescer', () => {
  it('turns create + modify + modify into one upsert after the quiet period', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'created', path: p('a.txt') });
    clock.advance(10);
    coalescer.add({ kind: 'changed', path: p('a.txt') });
    clock.advance(10);
    coalescer.add({ kind: 'changed', path: p('a.txt') });
    clock.advance(49);
    expect(flushes).toHaveLength(0);
    clock.advance(1);
    expect(flushes).toEqual([[{ path: 'a.txt', change: 'upsert', dir: false }]]);
  });

  it('reports the files written where they stood (what hard links share), not those created, moved, removed or only chmodded', () => {
    const clock = new FakeClock();
    const inPlace: string[][] = [];
    const coalescer = new Coalescer({
      delayMs: 50,
      maxDelayMs: 1000,
      clock,
      onFlush: () => undefined,
      onChangedInPlace: (paths) => inPlace.push(paths),
    });
    coalescer.useCloseWrite(true);
    coalescer.add({ kind: 'changed', path: p('written'), writing: true });
    coalescer.add({ kind: 'closed', path: p('written') });
    coalescer.add({ kind: 'closed', path: p('touched') });
    // Attributes alone (a chmod, or `ln` raising the link count) are left out.
    coalescer.add({ kind: 'changed', path: p('chmodded') });
    coalescer.add({ kind: 'created', path: p('new') });
    coalescer.add({ kind: 'changed', path: p('new'), writing: true });
    coalescer.add({ kind: 'closed', path: p('new') });
    coalescer.add({ kind: 'moved', path: p('renamed'), from: p('old') });
    coalescer.add({ kind: 'changed', path: p('renamed'), writing: true });
    coalescer.add({ kind: 'closed', path: p('renamed') });
    coalescer.add({ kind: 'changed', path: p('gone') });
    coalescer.add({ kind: 'removed', path: p('gone') });
    coalescer.add({ kind: 'created', path: p('dir'), dir: true });
    coalescer.add({ kind: 'changed', path: p('dir'), dir: true });
    clock.advance(2000);
    expect(inPlace).toEqual([['written', 'touched']]);
    // The next write to a released file is in place again.
    coalescer.add({ kind: 'changed', path: p('new'), writing: true });
    coalescer.add({ kind: 'closed', path: p('new') });
    clock.advance(100);
    expect(inPlace.at(-1)).toEqual(['new']);
  });

  it('mv a b; mv c b in one window: b comes from c, and a (overwritten) is deleted', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'moved', path: p('b'), from: p('a') });
    coalescer.add({ kind: 'moved', path: p('b'), from: p('c') });
    // Until released, the move's old path is what a full sync may still find on the target.
    expect(coalescer.movedFrom()).toEqual(['c']);
    clock.advance(100);
    expect(coalescer.movedFrom()).toEqual([]);
    expect(flushes.flat()).toEqual(
      expect.arrayContaining([
        { path: 'b', change: 'move', dir: false, from: 'c' },
        { path: 'a', change: 'delete', dir: false, entries: 1 },
      ]),
    );
    expect(flushes.flat()).toHaveLength(2);
  });

  it('a file created and deleted within the window becomes one delete (the name may have replaced a file)', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'created', path: p('tmp') });
    coalescer.add({ kind: 'changed', path: p('tmp') });
    coalescer.add({ kind: 'removed', path: p('tmp') });
    clock.advance(100);
    expect(flushes).toEqual([[{ path: 'tmp', change: 'delete', dir: false, entries: 1 }]]);
  });

  it('keeps the delete of a file that existed before the window', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'changed', path: p('old') });
    coalescer.add({ kind: 'removed', path: p('old') });
    clock.advance(100);
    expect(flushes).toEqual([[{ path: 'old', change: 'delete', dir: false, entries: 1 }]]);
  });

  it('a delete followed by a re-create ships the new file', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'removed', path: p('f') });
    coalescer.add({ kind: 'created', path: p('f') });
    coalescer.add({ kind: 'removed', path: p('f') });
    clock.advance(100);
    // The file existed on the target before the window: the final delete must reach it.
    expect(flushes).toEqual([[{ path: 'f', change: 'delete', dir: false, entries: 1 }]]);
  });

  it('a directory delete swallows older queued events below it but not newer ones', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'changed', path: p('d/x') });
    coalescer.add({ kind: 'changed', path: p('d/sub/y') });
    coalescer.add({ kind: 'changed', path: p('dx/z') });
    coalescer.add({ kind: 'removed', path: p('d'), dir: true });
    coalescer.add({ kind: 'created', path: p('d2/new') });
    clock.advance(100);
    expect(flushes[0]).toEqual([
      { path: 'dx/z', change: 'upsert', dir: false },
      { path: 'd', change: 'delete', dir: true, entries: 1 },
      { path: 'd2/new', change: 'upsert', dir: false },
    ]);
  });

  it('weighs a directory delete by the entries it removes, for the delete guard', () => {
    const { clock, flushes, coalescer } = setup();
    for (const f of ['t/a', 't/b', 't/s/c']) coalescer.add({ kind: 'removed', path: p(f) });
    coalescer.add({ kind: 'removed', path: p('t/s'), dir: true });
    coalescer.add({ kind: 'removed', path: p('t'), dir: true });
    coalescer.add({ kind: 'removed', path: p('big'), dir: true, entries: 500 });
    clock.advance(100);
    expect(flushes[0]).toEqual([
      { path: 't', change: 'delete', dir: true, entries: 5 },
      { path: 'big', change: 'delete', dir: true, entries: 500 },
    ]);
  });

  it('a directory delete adds up what went below it before (sum, never the larger of the two)', () => {
    const { clock, flushes, coalescer } = setup();
    // rm -rf big/: a subdirectory reported with the 50 entries it held, 300 files one by one, then big/ with
    // the 500 entries the watcher still knew under it.
    coalescer.add({ kind: 'removed', path: p('big/sub'), dir: true, entries: 50 });
    for (let i = 0; i < 300; i++) coalescer.add({ kind: 'removed', path: p(`big/f${i}`) });
    coalescer.add({ kind: 'removed', path: p('big'), dir: true, entries: 500 });
    clock.advance(100);
    expect(flushes[0]).toEqual([{ path: 'big', change: 'delete', dir: true, entries: 850 }]);
  });

  it('a directory deleted and created again becomes a tree change (its old contents must go)', () => {
    const { clock, flushes, coalescer } = setup();
    coalescer.add({ kind: 'removed', path: p('site'), dir: true, entries: 3 });
    coalescer.add({ kind: 'created', path: p('site'), dir: true });
    coalescer.add({ kind: 'changed', path: p('site') });
    coalescer.add({ kind: 'created', path: p('site/new.html') });
    clock.advance(100);
    expect(flushes[0]).toEqual([
      { path: 'site', change: 'tree', dir: true },
      { path: 'site/new.html', change: 'upsert', dir: false },
    ]);
  });

  it('ships a file that keeps changing after the maximum latency', () => {
    const { clock, flushes, coalescer } = setup(50, 1000);
    for (let t = 0; t < 1500; t += 20) {
      coalescer.add({ kind: 'changed', path: p('log') });
      clock.advance(20);
      if (flushes.length > 0) break;
    }
    expect(flushes).toHaveLength(1);
    expect(clock.now() - 1_000_000).toBeLessThanOrEqual(1020);
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(1000);
  });

  it('releases each path after its own quiet period while other paths keep changing', () => {
    const { clock, flushes, coalescer } = setup(10, 10_000);
    coalescer.add({ kind: 'created', path: p('first') });
    for (let i = 0; i < 20; i++) {
      clock.advance(3);
      coalescer.add({ kind: 'created', path: p(`burst${i}`) });
    }
    // "first" left about 10 ms after its event although the burst around it never paused.
    const released = flushes.flat().map((c) => c.path);
    expect(released[0]).toBe('first');
    expect(released.length).toBeGreaterThan(10);
    expect(released).not.toContain('burst19');
    clock.advance(20);
    expect(new Set(flushes.flat().map((c) => c.path)).size).toBe(21);
  });

  it('sends a file that is being written once, after its last write', () => {
    const { clock, flushes, coalescer } = setup(10, 10_000);
    coalescer.add({ kind: 'created', path: p('big.iso') });
    // 100 ms of steady writes, then 300 ms with 30 ms stalls (the disk flushing), longer than the 10 ms quiet
    // period that sends a small file at once.
    for (let t = 0; t < 100; t += 2) {
      clock.advance(2);
      coalescer.add({ kind: 'changed', path: p('big.iso') });
    }
    for (let t = 0; t < 300; t += 40) {
      for (let i = 0; i < 5; i++) {
        clock.advance(2);
        coalescer.add({ kind: 'changed', path: p('big.iso') });
      }
      clock.advance(30);
    }
    const lastWrite = clock.now() - 30;
    expect(flushes).toHaveLength(0);
    clock.advance(200);
    expect(flushes).toEqual([[{ path: 'big.iso', change: 'upsert', dir: false }]]);
    // Held for a quarter of its writing time after the last write, never sent while still growing.
    expect(lastWrite + 90).toBeLessThan(clock.now());
  });

  it('a file written in chunks waits out a stall early on; one written at once leaves after the quiet period', () => {
    const { clock, flushes, coalescer } = setup(5, 10_000);
    coalescer.add({ kind: 'created', path: p('small') });
    coalescer.add({ kind: 'changed', path: p('small') });
    coalescer.add({ kind: 'created', path: p('chunked.bin') });
    coalescer.add({ kind: 'changed', path: p('chunked.bin') });
    clock.advance(1);
    coalescer.add({ kind: 'changed', path: p('chunked.bin') });
    clock.advance(35); // the writer stalls for 35 ms after its second chunk
    expect(flushes.flat().map((c) => c.path)).toEqual(['small']);
    coalescer.add({ kind: 'changed', path: p('chunked.bin') }); // the last chunk
    clock.advance(49);
    expect(flushes.flat().map((c) => c.path)).toEqual(['small']);
    clock.advance(30);
    expect(flushes.flat().map((c) => c.path)).toEqual(['small', 'chunked.bin']); // once, after its last write
  });

  it('drops a held file whose directory was deleted after it', () => {
    const { clock, flushes, coalescer } = setup(10, 10_000);
    for (let i = 0; i < 50; i++) {
      coalescer.add({ kind: 'changed', path: p('d/big') });
      clock.advance(5);
    }
    coalescer.add({ kind: 'removed', path: p('d'), dir: true, entries: 2 });
    clock.advance(15);
    expect(flushes.flat()).toEqual([{ path: 'd', change: 'delete', dir: true, entries: 2 }]);
    clock.advance(2_000);
    expect(flushes.flat()).toHaveLength(1);
    expect(coalescer.size).toBe(0);
  });

  it('uses one timer for a burst, not one per event', () => {
    const { clock, coalescer } = setup();
    for (let i = 0; i < 1000; i++) coalescer.add({ kind: 'created', path: p(`f${i}`) });
    expect(clock.pending).toBe(1);
    expect(coalescer.size).toBe(1000);
  });

  it('flush() releases at once and close() forgets', () => {
    const { flushes, coalescer } = setup();
    coalescer.add({ kind: 'created', path: p('a') });
    coalescer.flush();
    expect(flushes).toHaveLength(1);
    coalescer.add({ kind: 'created', path: p('b') });
    coalescer.close();
    expect(coalescer.size).toBe(0);
  });
});
