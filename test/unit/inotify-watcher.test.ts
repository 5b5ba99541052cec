// The inotify backends on their own, against a real folder: what they watch at start, what they report for
// directories that appear (watched first, listed second), byte-exact names, replaced directories, and the
// entry counts of removed subtrees that the delete guard weighs (kept in linked directory records). Both the
// fs.watch backend and the native one (in its basic-events mode, as the engine uses it before it handles
// moves) give the same guarantees; test/unit/kernel-watcher.test.ts covers what only the native one reports.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../electron/engine/coalescer.js';
import { compileExcludes } from '../../electron/engine/excludes.js';
import { countEntries } from '../../electron/engine/tree-walk.js';
import { InotifyWatcher } from '../../electron/engine/watcher/inotify-watcher.js';
import { KernelWatcher } from '../../electron/engine/watcher/kernel-watcher.js';
import { loadNativeInotify } from '../../electron/engine/watcher/native-inotify.js';
import type { Watcher, WatcherOptions, PathFilter } from '../../electron/engine/watcher/watcher.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Creates `files` (paths ending in "/" are directories) under a new temporary folder. */
async function folder(files: string[]): Promise<string> {
  const root = await tempDir();
  cleanups.push(() => fsp.rm(root, { recursive: true, force: true }));
  for (const file of files) {
    if (file.endsWith('/')) await fsp.mkdir(path.join(root, file), { recursive: true });
    else {
      await fsp.mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await fsp.writeFile(path.join(root, file), file);
    }
  }
  return root;
}

const native = loadNativeInotify();
const backends: [string, (options: WatcherOptions) => Watcher][] = [
  ['fs.watch', (options) => new InotifyWatcher(options)],
  [
    'native',
    (options) => {
      if (!native.addon) throw new Error(`the native inotify addon does not load: ${native.reason}`);
      return new KernelWatcher(native.addon, options);
    },
  ],
];

describe.each(backends)('inotify watcher (%s)', (_backend, make) => {
  async function watch(
    root: string,
    ignored: PathFilter = () => false,
  ): Promise<{ watcher: Watcher; events: WatchEvent[] }> {
    const watcher = make({ root: Buffer.from(root), folder: root, ignored });
    const events: WatchEvent[] = [];
    watcher.on('event', (event) => events.push(event));
    watcher.on('error', (error) =>
      events.push({ kind: 'changed', path: `error: ${error.message}` as never }),
    );
    cleanups.push(() => watcher.close());
    await watcher.start();
    return { watcher, events };
  }

  const removals = (events: WatchEvent[]) =>
    events.filter((e) => e.kind === 'removed').map((e) => ({ path: e.path, dir: e.dir, entries: e.entries }));

  it('watches every directory at start, reports nothing for what is already there, skips excluded ones', async () => {
    const root = await folder(['a/b/c/f1', 'a/b/f2', 'a/d/', 'a/skipped/z/', 'node_modules/x/y/', 'top.txt']);
    const excluded = compileExcludes({
      regex: ['a/skip[^/]*'],
      glob: ['node_modules'],
      defaultTemporary: true,
    });
    const { watcher, events } = await watch(root, excluded);
    expect(watcher.directories).toBe(5); // the folder, a, a/b, a/b/c, a/d
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual([]);
    await fsp.writeFile(path.join(root, 'node_modules/x/y/ignored.txt'), 'x');
    await fsp.writeFile(path.join(root, 'a/skipped/z/ignored.txt'), 'x');
    await fsp.writeFile(path.join(root, 'a/d/seen.swp'), 'x'); // an editor swap file: excluded by name
    await fsp.writeFile(path.join(root, 'a/d/seen.txt'), 'x');
    await eventually(() => expect(events.map((e) => e.path)).toContain('a/d/seen.txt'));
    expect(events.map((e) => e.path)).toEqual(['a/d/seen.txt', 'a/d/seen.txt']); // created, then changed
  });

  it('counts the entries below the folder as it walks (what the delete guard would count: excluded left out, links not followed)', async () => {
    const root = await folder([
      'a/b/c/f1',
      'a/b/f2',
      'a/d/',
      'a/skipped/z/f',
      'node_modules/x/y/',
      'top.txt',
      'e/x.swp',
    ]);
    await fsp.symlink(path.join(root, 'a'), path.join(root, 'link-to-a'));
    const excluded = compileExcludes({
      regex: ['a/skip[^/]*'],
      glob: ['node_modules'],
      defaultTemporary: true,
    });
    const { watcher } = await watch(root, excluded);
    const walked = await countEntries(Buffer.from(root), excluded);
    // a, a/b, a/b/c, a/b/c/f1, a/b/f2, a/d, top.txt, e, link-to-a
    expect(walked).toBe(9);
    expect(watcher.entriesBelow?.()).toBe(walked);
    await watcher.close();
    expect(watcher.entriesBelow?.()).toBeNull();
  });

  it('reports files written into directories created a moment earlier (mkdir -p, then write at once)', async () => {
    const root = await folder(['old/']);
    const { watcher, events } = await watch(root);
    for (let i = 0; i < 20; i++) {
      fs.mkdirSync(path.join(root, `n${i}/deep/er`), { recursive: true });
      fs.writeFileSync(path.join(root, `n${i}/deep/er/file`), 'x');
      fs.writeFileSync(path.join(root, `n${i}/deep/sibling`), 'x');
    }
    await eventually(() => {
      const paths = new Set(events.filter((e) => e.kind === 'created').map((e) => e.path));
      for (let i = 0; i < 20; i++) {
        expect(paths).toContain(`n${i}/deep/er/file`);
        expect(paths).toContain(`n${i}/deep/sibling`);
      }
    });
    expect(watcher.directories).toBe(2 + 20 * 3);
  });

  it('keeps names byte for byte, also those that are not UTF-8', async () => {
    const root = await folder([]);
    const { events } = await watch(root);
    const name = Buffer.from([0x66, 0xff, 0xfe, 0x0a, 0x2a]); // f, two invalid bytes, newline, *
    fs.mkdirSync(Buffer.concat([Buffer.from(`${root}/`), name]));
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/`), name, Buffer.from('/'), name]), 'x');
    const rel = name.toString('latin1');
    await eventually(() =>
      expect(events.filter((e) => e.kind === 'created').map((e) => e.path)).toEqual(
        expect.arrayContaining([rel, `${rel}/${rel}`]),
      ),
    );
  });

  it('counts the entries of a subtree that leaves, and forgets its watches', async () => {
    const root = await folder([
      'keep/k1',
      'a/f1',
      'a/f2',
      'a/b/f3',
      'a/b/e/f4',
      'a/c/f5',
      'a/c/f6',
      'a/d/f7',
      'a/d/g/h/',
    ]);
    const outside = await tempDir();
    cleanups.push(() => fsp.rm(outside, { recursive: true, force: true }));
    const { watcher, events } = await watch(root);
    expect(watcher.directories).toBe(9);
    // A middle sibling first (unlinked from the middle of its parent's list), then the whole subtree at once.
    await fsp.rename(path.join(root, 'a/c'), path.join(outside, 'c'));
    await eventually(() => expect(removals(events)).toEqual([{ path: 'a/c', dir: true, entries: 3 }]));
    expect(watcher.directories).toBe(8);
    await fsp.writeFile(path.join(root, 'a/new'), 'x'); // counted too
    await eventually(() => expect(events.map((e) => e.path)).toContain('a/new'));
    await fsp.rename(path.join(root, 'a'), path.join(outside, 'a'));
    // a, f1, f2, new, b, f3, e, f4, d, f7, g, h
    await eventually(() => expect(removals(events).at(-1)).toEqual({ path: 'a', dir: true, entries: 12 }));
    expect(watcher.directories).toBe(2);
    // Events inside the moved-away tree are no longer ours.
    await fsp.writeFile(path.join(outside, 'a/b/later'), 'x');
    await fsp.writeFile(path.join(root, 'keep/k2'), 'x');
    await eventually(() => expect(events.at(-1)?.path).toBe('keep/k2'));
    expect(events.some((e) => e.path.includes('later'))).toBe(false);
  });

  it('a directory replaced by another under the same name: the old subtree is removed, the new one listed', async () => {
    const root = await folder(['x/old1', 'x/sub/old2', 'y/new1', 'y/sub/new2']);
    const { watcher, events } = await watch(root);
    await fsp.rename(path.join(root, 'x'), path.join(root, 'gone'));
    await fsp.rename(path.join(root, 'y'), path.join(root, 'x'));
    await fsp.rm(path.join(root, 'gone'), { recursive: true });
    await eventually(() => {
      expect(removals(events)).toContainEqual({ path: 'x', dir: true, entries: 4 });
      const created = events.filter((e) => e.kind === 'created').map((e) => e.path);
      expect(created).toEqual(expect.arrayContaining(['x', 'x/new1', 'x/sub', 'x/sub/new2']));
    });
    await eventually(() => expect(watcher.directories).toBe(3)); // the folder, x, x/sub
    await fsp.writeFile(path.join(root, 'x/sub/after'), 'x');
    await eventually(() => expect(events.map((e) => e.path)).toContain('x/sub/after'));
  });

  it('watches a large tree in slices without losing what appears meanwhile', async () => {
    const root = await folder([]);
    for (let i = 0; i < 60; i++)
      for (let j = 0; j < 50; j++) fs.mkdirSync(path.join(root, `d${i}/e${j}`), { recursive: true });
    const watcher = make({ root: Buffer.from(root), folder: root, ignored: () => false });
    const events: WatchEvent[] = [];
    watcher.on('event', (event) => events.push(event));
    cleanups.push(() => watcher.close());
    const started = watcher.start();
    // While the walk is under way: new directories and files at both ends of it.
    fs.mkdirSync(path.join(root, 'd0/e0/new/deeper'), { recursive: true });
    fs.writeFileSync(path.join(root, 'd0/e0/new/deeper/f'), 'x');
    fs.mkdirSync(path.join(root, 'd59/e49/new'), { recursive: true });
    fs.writeFileSync(path.join(root, 'd59/e49/new/f'), 'x');
    await started;
    expect(watcher.directories).toBe(1 + 60 + 60 * 50 + 2 + 1);
    // Found by the walk (no event) or reported: either way watched now.
    fs.writeFileSync(path.join(root, 'd0/e0/new/deeper/g'), 'x');
    fs.writeFileSync(path.join(root, 'd59/e49/new/g'), 'x');
    await eventually(() =>
      expect(events.map((e) => e.path)).toEqual(
        expect.arrayContaining(['d0/e0/new/deeper/g', 'd59/e49/new/g']),
      ),
    );
  });

  it('a folder that is a symbolic link to a directory is watched through it', async () => {
    const real = await folder(['sub/f']);
    const link = path.join(os.tmpdir(), `rsync-live-link-${process.pid}`);
    await fsp.rm(link, { force: true });
    await fsp.symlink(real, link);
    cleanups.push(() => fsp.rm(link, { force: true }));
    const { watcher, events } = await watch(link);
    expect(watcher.directories).toBe(2);
    await fsp.writeFile(path.join(real, 'sub/g'), 'x');
    await eventually(() => expect(events.map((e) => e.path)).toContain('sub/g'));
  });
});
