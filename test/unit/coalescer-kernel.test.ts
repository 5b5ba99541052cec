// The coalescer with a close-write backend (native inotify): a file is held while its writer holds it open
// and leaves once it is closed; a log kept open leaves once per max delay; moves become one move per new path,
// rename chains fold into one, and a move's old path is still deleted when the moved path goes away.
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { Coalescer, MAX_SETTLE_MS } from '../../electron/engine/coalescer.js';
import type { PathChange } from '../../electron/engine/path-change.js';
import { FakeClock } from '../helpers/fake-clock.js';

const p = (s: string) => s as RelPath;

function setup(delayMs = 5, maxDelayMs = 10_000) {
  const clock = new FakeClock();
  const flushes: PathChange[][] = [];
  const coalescer = new Coalescer({
    delayMs,
    maxDelayMs,
    clock,
    onFlush: (c) => flushes.push(c),
    closeWrite: true,
  });
  return { clock, flushes, coalescer, all: () => flushes.flat() };
}

describe('Coalescer with close-write', () => {
  it('holds a file through long pauses of its writer and sends it once, after the close', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'created', path: p('big.bin') });
    for (let i = 0; i < 8; i++) {
      coalescer.add({ kind: 'changed', path: p('big.bin'), writing: true });
      clock.advance(400);
    }
    expect(all()).toEqual([]);
    coalescer.add({ kind: 'closed', path: p('big.bin') });
    clock.advance(5);
    expect(all()).toEqual([{ path: 'big.bin', change: 'upsert', dir: false }]);
  });

  it('a file kept open and written for good (a log) leaves once per max delay', () => {
    const { clock, flushes, coalescer } = setup(5, 1_000);
    for (let ms = 0; ms < 3_000; ms += 100) {
      coalescer.add({ kind: 'changed', path: p('app.log'), writing: true });
      clock.advance(100);
    }
    expect(flushes.length).toBeGreaterThanOrEqual(2);
    expect(flushes.length).toBeLessThanOrEqual(3);
  });

  it('a created file that never reports a close (a hard link) leaves after MAX_SETTLE_MS', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'created', path: p('link') });
    clock.advance(MAX_SETTLE_MS - 1);
    expect(all()).toEqual([]);
    clock.advance(1);
    expect(all()).toEqual([{ path: 'link', change: 'upsert', dir: false }]);
  });

  it('a metadata change alone leaves after the quiet period', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'changed', path: p('a') });
    clock.advance(5);
    expect(all()).toEqual([{ path: 'a', change: 'upsert', dir: false }]);
  });
});

describe('Coalescer moves', () => {
  it('a move is one change on the new path, naming the old one', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'moved', from: p('album'), path: p('album (2019)'), dir: true });
    clock.advance(5);
    expect(all()).toEqual([{ path: 'album (2019)', change: 'move', dir: true, from: 'album' }]);
  });

  it('a rename chain within the quiet period is one move from the first name', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'moved', from: p('a'), path: p('b'), dir: false });
    coalescer.add({ kind: 'moved', from: p('b'), path: p('c'), dir: false });
    clock.advance(5);
    expect(all()).toEqual([{ path: 'c', change: 'move', dir: false, from: 'a' }]);
  });

  it('a move then a modify stays a move (its run sends what changed)', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'moved', from: p('a'), path: p('b'), dir: false });
    coalescer.add({ kind: 'changed', path: p('b'), writing: true });
    coalescer.add({ kind: 'closed', path: p('b') });
    clock.advance(5);
    expect(all()).toEqual([{ path: 'b', change: 'move', dir: false, from: 'a' }]);
  });

  it('a move then a delete still deletes the old path', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'moved', from: p('a'), path: p('b'), dir: false });
    coalescer.add({ kind: 'removed', path: p('b') });
    clock.advance(5);
    expect(all()).toEqual([{ path: 'b', change: 'delete', dir: false, entries: 1, from: 'a' }]);
  });

  it('a file moved into a directory that is then deleted: its old path is still owed a deletion', () => {
    const { clock, all, coalescer } = setup();
    coalescer.add({ kind: 'moved', from: p('keep/f'), path: p('tmp/f'), dir: false });
    coalescer.add({ kind: 'removed', path: p('tmp/f') });
    coalescer.add({ kind: 'removed', path: p('tmp'), dir: true, entries: 1 });
    clock.advance(5);
    expect(all()).toContainEqual({ path: 'keep/f', change: 'delete', dir: false, entries: 1 });
    expect(all()).toContainEqual(expect.objectContaining({ path: 'tmp', change: 'delete' }));
  });
});
