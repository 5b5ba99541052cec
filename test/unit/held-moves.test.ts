// The IN_MOVED_FROMs the native watcher holds (electron/engine/watcher/held-moves.ts): released together after
// MOVE_PAIR_MS on the clock, taken back by the next batch, and claimed by a listing by inode or name.
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import {
  claimKey,
  HeldMoves,
  MOVE_PAIR_MS,
  type HeldMove,
} from '../../electron/engine/watcher/held-moves.js';
import type { WatchedDir } from '../../electron/engine/watcher/watched-tree.js';
import { FakeClock } from '../helpers/fake-clock.js';

type Dir = WatchedDir<number>;

const dir = (rel: string, ino: number): Dir => ({
  rel: rel as RelPath,
  ino,
  watch: ino,
  count: 0,
  parent: null,
  firstChild: null,
  prev: null,
  next: null,
});
const root = dir('', 1);
const file = (name: string): HeldMove<Dir> => ({ dir: root, name, isDir: false });
const directory = (name: string, ino: number): HeldMove<Dir> => ({
  dir: root,
  name,
  isDir: true,
  record: dir(name, ino),
});

function held() {
  const clock = new FakeClock();
  const expired: string[][] = [];
  const moves = new HeldMoves<Dir>(clock, (list) => expired.push(list.map((m) => m.name)));
  return { clock, expired, moves };
}

describe('held IN_MOVED_FROMs', () => {
  it('are released together MOVE_PAIR_MS after the first was held, once', () => {
    const { clock, expired, moves } = held();
    moves.hold(1, file('a'));
    clock.advance(MOVE_PAIR_MS / 2);
    moves.hold(2, file('b'));
    clock.advance(MOVE_PAIR_MS / 2 - 1);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual([['a', 'b']]);
    expect(moves.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('the next batch takes them all back by cookie, and the timer stops', () => {
    const { clock, expired, moves } = held();
    moves.hold(7, file('a'));
    moves.hold(9, directory('d', 42));
    expect([...moves.takeAll().keys()]).toEqual([7, 9]);
    expect(clock.pending).toBe(0);
    clock.advance(MOVE_PAIR_MS);
    expect(expired).toEqual([]);
  });

  it('a listing claims a file by its name and a directory by its inode, each once', () => {
    const { moves } = held();
    moves.hold(1, file('report.pdf'));
    moves.hold(2, directory('photos', 42));
    moves.hold(3, file('report.pdf'));
    expect(moves.claim(claimKey(false, 'other.pdf'), () => true)).toBeNull();
    expect(moves.claim(claimKey(true, 'photos'), () => true)).toBeNull(); // a directory: by inode only
    expect(moves.claim(claimKey(true, 42), () => true)?.name).toBe('photos');
    expect(moves.claim(claimKey(true, 42), () => true)).toBeNull();
    expect(moves.size).toBe(2);
    // The first one `take` refuses stays held; the next candidate is offered.
    const offered: string[] = [];
    const taken = moves.claim(claimKey(false, 'report.pdf'), (m) => {
      offered.push(m.name);
      return offered.length === 2;
    });
    expect(taken).not.toBeNull();
    expect(offered).toEqual(['report.pdf', 'report.pdf']);
    expect(moves.size).toBe(1);
    // A move held after a claim is found too (the index is built again).
    moves.hold(4, file('late.txt'));
    expect(moves.claim(claimKey(false, 'late.txt'), () => true)?.name).toBe('late.txt');
  });

  it('a directory whose record was unknown cannot be claimed', () => {
    const { moves } = held();
    moves.hold(1, { dir: root, name: 'x', isDir: true });
    expect(moves.claim(claimKey(true, undefined), () => true)).toBeNull();
    expect(moves.size).toBe(1);
  });
});
