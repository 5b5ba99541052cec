// New directories as one recursive send (fresh-dirs.ts, wired into the coalescer): a directory that appeared
// gathers what settles below it and leaves as one upsert with `subtree`; files still being written hold it up
// to its limit; a long burst into one new directory streams after the limit; deletions and moves below it still
// travel on their own; listeners still hear of every path. Time is the fake clock's.
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { Coalescer, EMPTY_FRESH_SETTLE_MS, type WatchEvent } from '../../electron/engine/coalescer.js';
import { busyFresh, depth, FRESH_HOLD_MS } from '../../electron/engine/fresh-dirs.js';
import { buildArgs } from '../../electron/engine/rsync/command.js';
import { FULL_CAPABILITIES } from '../../electron/engine/rsync/server-capabilities.js';
import { combine, type PathChange } from '../../electron/engine/path-change.js';
import { QueueStore } from '../../electron/engine/queue-store.js';
import { planRun } from '../../electron/engine/run-plan.js';
import { FakeClock } from '../helpers/fake-clock.js';

const p = (s: string) => s as RelPath;

function setup(options: { freshHoldMs?: number; maxDelayMs?: number } = {}) {
  const clock = new FakeClock();
  const flushes: PathChange[][] = [];
  const settled: PathChange[] = [];
  const coalescer = new Coalescer({
    delayMs: 5,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    clock,
    closeWrite: true,
    onFlush: (c) => flushes.push(c),
    onSettled: (c) => settled.push(...c),
    ...(options.freshHoldMs !== undefined ? { freshHoldMs: options.freshHoldMs } : {}),
  });
  const add = (...events: WatchEvent[]) => events.forEach((e) => coalescer.add(e));
  /** A file written in one go: created, written, closed. */
  const write = (path: string) =>
    add(
      { kind: 'created', path: p(path) },
      { kind: 'changed', path: p(path), writing: true },
      { kind: 'closed', path: p(path) },
    );
  const mkdir = (path: string) => add({ kind: 'created', path: p(path), dir: true });
  return { clock, flushes, settled, coalescer, add, write, mkdir, all: () => flushes.flat() };
}

/** A new directory sent recursively, covering `covers` entries the coalescer saw settle below it. */
const subtree = (path: string, covers?: number): PathChange => ({
  path: p(path),
  change: 'upsert',
  dir: true,
  subtree: true,
  ...(covers !== undefined ? { covers } : {}),
});
const file = (path: string): PathChange => ({ path: p(path), change: 'upsert', dir: false });

describe('new directories: one recursive send', () => {
  it('a new directory with files written into it leaves as one subtree upsert; listeners hear each path', () => {
    const { clock, all, settled, write, mkdir } = setup();
    mkdir('d');
    for (let i = 0; i < 50; i++) {
      write(`d/f${i}`);
      clock.advance(1);
    }
    expect(all()).toEqual([]);
    clock.advance(10);
    expect(all()).toEqual([subtree('d', 50)]);
    expect(settled).toHaveLength(51);
    expect(settled.filter((c) => !c.dir)).toHaveLength(50);
  });

  it('nested new directories are covered by the outermost one', () => {
    const { clock, all, write, mkdir } = setup();
    mkdir('a');
    mkdir('a/b');
    mkdir('a/b/c');
    write('a/b/c/x');
    write('a/y');
    clock.advance(2);
    mkdir('a/e');
    clock.advance(50);
    expect(all()).toEqual([subtree('a', 5)]);
  });

  it('a file still being written holds its new directory until its close', () => {
    const { clock, all, add, write, mkdir } = setup();
    mkdir('d');
    write('d/done');
    add({ kind: 'created', path: p('d/big') }, { kind: 'changed', path: p('d/big'), writing: true });
    clock.advance(100);
    expect(all()).toEqual([]);
    add({ kind: 'closed', path: p('d/big') });
    clock.advance(10);
    expect(all()).toEqual([subtree('d', 2)]);
  });

  it('files a listing found (created, never seen written) do not hold their new directory and are covered', () => {
    const { clock, all, add, mkdir } = setup();
    mkdir('d');
    add({ kind: 'created', path: p('d/listed1') }, { kind: 'created', path: p('d/listed2') });
    clock.advance(10);
    expect(all()).toEqual([subtree('d', 2)]);
    clock.advance(2_000);
    expect(all()).toEqual([subtree('d', 2)]);
  });

  it('at its limit with a file still open below it, the directory goes plain and what settled goes one by one', () => {
    const { clock, all, add, write, mkdir } = setup();
    mkdir('d');
    write('d/done');
    add({ kind: 'created', path: p('d/big') }, { kind: 'changed', path: p('d/big'), writing: true });
    clock.advance(FRESH_HOLD_MS + 10);
    const first = all();
    expect(first).toContainEqual({ path: 'd', change: 'upsert', dir: true });
    expect(first).toContainEqual(file('d/done'));
    expect(first.some((c) => c.path === 'd/big')).toBe(false);
    add({ kind: 'changed', path: p('d/big'), writing: true }, { kind: 'closed', path: p('d/big') });
    clock.advance(10);
    expect(all().filter((c) => c.path === 'd/big')).toEqual([file('d/big')]);
    expect(all().some((c) => c.subtree)).toBe(false);
  });

  it('a long burst into one new directory streams after the limit: each new subdirectory as its own subtree', () => {
    const { clock, flushes, all, write, mkdir } = setup();
    mkdir('burst');
    let n = 0;
    for (let d = 0; d < 40; d++) {
      mkdir(`burst/d${d}`);
      for (let f = 0; f < 40; f++, n++) {
        write(`burst/d${d}/f${f}`);
        clock.advance(1);
      }
    }
    clock.advance(20);
    const changes = all();
    // Nothing listed file by file, and something was sent while the burst went on.
    expect(changes.filter((c) => !c.dir)).toEqual([]);
    expect(changes.filter((c) => c.subtree).length).toBeGreaterThan(1);
    expect(flushes.length).toBeGreaterThan(2);
    const sent = new Set(changes.map((c) => c.path));
    for (let d = 0; d < 40; d++) {
      expect(sent.has(p(`burst/d${d}`)) || changes.some((c) => c.path === 'burst' && c.subtree)).toBe(true);
    }
    expect(sent.has(p('burst'))).toBe(true);
  });

  it('a deletion below a new directory still travels on its own (through the delete guard)', () => {
    const { clock, all, add, write, mkdir } = setup();
    mkdir('d');
    write('d/a');
    clock.advance(2);
    add({ kind: 'removed', path: p('d/a'), dir: false, entries: 1 });
    clock.advance(20);
    expect(all()).toContainEqual(subtree('d'));
    expect(all()).toContainEqual({ path: 'd/a', change: 'delete', dir: false, entries: 1 });
  });

  it('a new directory deleted before it was sent is not sent recursively', () => {
    const { clock, all, add, write, mkdir } = setup();
    mkdir('d');
    write('d/a');
    clock.advance(2);
    add({ kind: 'removed', path: p('d'), dir: true, entries: 2 });
    clock.advance(20);
    expect(all()).toContainEqual({ path: 'd', change: 'delete', dir: true, entries: 2 });
    expect(all().some((c) => c.subtree)).toBe(false);
  });

  it('a move inside a new directory stays a move; a new directory moved away is one move', () => {
    const { clock, all, add, write, mkdir } = setup();
    mkdir('d');
    write('d/a');
    clock.advance(2);
    add({ kind: 'moved', from: p('d/a'), path: p('d/b') });
    clock.advance(20);
    expect(all()).toContainEqual(subtree('d'));
    expect(all()).toContainEqual({ path: 'd/b', change: 'move', dir: false, from: 'd/a' });

    const second = setup();
    second.mkdir('n');
    second.write('n/x');
    second.clock.advance(2);
    second.add({ kind: 'moved', from: p('n'), path: p('m'), dir: true });
    second.clock.advance(20);
    expect(second.all()).toContainEqual({ path: 'm', change: 'move', dir: true, from: 'n' });
    expect(second.all().some((c) => c.subtree)).toBe(false);
  });

  it('an empty new directory waits EMPTY_FRESH_SETTLE_MS: "mkdir x; mv a x/" leaves in one flush', () => {
    const { clock, flushes, add, mkdir } = setup();
    mkdir('x');
    clock.advance(EMPTY_FRESH_SETTLE_MS - 10);
    expect(flushes).toEqual([]);
    add({ kind: 'moved', from: p('a'), path: p('x/a') });
    clock.advance(EMPTY_FRESH_SETTLE_MS);
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toContainEqual({ path: 'x/a', change: 'move', dir: false, from: 'a' });
    expect(flushes[0]).toContainEqual(subtree('x'));
    // Alone, it leaves after EMPTY_FRESH_SETTLE_MS.
    const alone = setup();
    alone.mkdir('y');
    alone.clock.advance(EMPTY_FRESH_SETTLE_MS);
    expect(alone.all()).toEqual([subtree('y')]);
  });

  it('a directory that was already there is not sent recursively; freshHoldMs 0 turns the rule off', () => {
    const { clock, all, add, write } = setup();
    add({ kind: 'changed', path: p('old'), dir: true });
    write('old/f');
    clock.advance(20);
    expect(all().some((c) => c.subtree)).toBe(false);

    const off = setup({ freshHoldMs: 0 });
    off.mkdir('d');
    off.write('d/f');
    off.clock.advance(20);
    expect(off.all()).toEqual([{ path: 'd', change: 'upsert', dir: true }, file('d/f')]);
  });

  it('a directory made where a deletion is pending is a replaced one (tree), not a new one', () => {
    const { clock, all, add, write, mkdir } = setup();
    add({ kind: 'removed', path: p('d'), dir: true, entries: 3 });
    mkdir('d');
    write('d/f');
    clock.advance(20);
    expect(all()).toContainEqual({ path: 'd', change: 'tree', dir: true });
    expect(all().some((c) => c.subtree)).toBe(false);
  });
});

describe('fresh-dirs helpers and the subtree run', () => {
  it('a pending subtree upsert survives a restart (queue file code "s")', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rsync-live-fresh-'));
    try {
      const changes = [subtree('new\ndir'), file('a')];
      const store = new QueueStore({
        stateDir: dir,
        folder: '/src',
        target: '/dst',
        snapshot: () => changes,
      });
      await store.save();
      const again = new QueueStore({ stateDir: dir, folder: '/src', target: '/dst', snapshot: () => [] });
      expect(await again.load()).toEqual(changes);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('busyFresh keeps the deepest busy directory and marks those above it busy', () => {
    const { kept, busy } = busyFresh([p('a'), p('a/b'), p('c')], [p('a/b/x')], (dir) => dir === 'a/b');
    expect([...kept]).toEqual(['a/b']);
    expect([...busy]).toEqual(['a']);
    expect(depth(p('a/b/c'))).toBe(2);
  });

  it('a later upsert of the directory keeps it a subtree upsert; a deletion pending first makes it a tree', () => {
    expect(combine(subtree('d'), { path: p('d'), change: 'upsert', dir: true })).toEqual(subtree('d'));
    expect(combine({ path: p('d'), change: 'delete', dir: true }, subtree('d'))).toEqual({
      path: 'd',
      change: 'tree',
      dir: true,
    });
  });

  it('a subtree run lists the directories, recurses, applies excludes and rules, deletes nothing', () => {
    const plan = planRun(
      { kind: 'subtree', changes: [subtree('new dir'), subtree('#odd')] },
      {
        folder: '/src',
        target: { kind: 'local', path: '/dst' },
        deletion: 'mirror',
        options: { extraArgs: [], timeoutSec: 60, contimeoutSec: 15, bwlimitKiB: 0 },
        passwordFile: null,
        excludeGlobs: ['*.tmp'],
        excludedPaths: [p('new dir/skip me')],
        keptPaths: [p('kept')],
        today: '2026-12-04',
        maxDelete: null,
      },
    );
    expect(plan.args).toContain('--recursive');
    expect(plan.args).toContain('--files-from=-');
    expect(plan.args).toContain('--ignore-missing-args');
    expect(plan.args.some((a) => a.startsWith('--delete'))).toBe(false);
    expect(plan.args).not.toContain('--ignore-times');
    expect(plan.args.some((a) => a.includes('*.tmp'))).toBe(true);
    expect(plan.rulesFile?.toString('latin1')).toBe('- /new dir/skip me\0');
    expect(plan.input?.toString('latin1')).toBe('new dir\0./#odd\0');
    expect(plan.listed).toBe(2);
    const old = buildArgs({
      kind: 'subtree',
      folder: '/src',
      target: { kind: 'local', path: '/dst' },
      deletion: 'mirror',
      options: { extraArgs: [], timeoutSec: 60, contimeoutSec: 15, bwlimitKiB: 0 },
      passwordFile: null,
      excludeGlobs: [],
      today: '2026-12-04',
      capabilities: { ...FULL_CAPABILITIES, modifyWindowNs: false },
    });
    expect(old).toContain('--ignore-times');
  });
});
