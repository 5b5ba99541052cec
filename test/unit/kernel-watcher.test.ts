// What only the native inotify backend reports, through the real addon against a real folder: every event kind
// (created, changed while written, closed, metadata changed, removed, moved: file and directory, same and
// other parent, rename chains, out of and into the folder and excluded directories), names that are not UTF-8,
// unmount of the folder's file system, and the fs.watch fallback when the addon is absent or refused.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../electron/engine/coalescer.js';
import { compileExcludes } from '../../electron/engine/excludes.js';
import { createWatcher } from '../../electron/engine/watcher/index.js';
import { KernelWatcher, MOVE_PAIR_MS } from '../../electron/engine/watcher/kernel-watcher.js';
import { loadNativeInotify, unpacked } from '../../electron/engine/watcher/native-inotify.js';
import type { PathFilter, WatcherErrorInfo } from '../../electron/engine/watcher/watcher.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';
import { FakeClock } from '../helpers/fake-clock.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const native = loadNativeInotify();

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

async function watch(
  root: string,
  ignored: PathFilter = () => false,
  kernelEvents = true,
  clock?: FakeClock,
) {
  if (!native.addon) throw new Error(`the native inotify addon does not load: ${native.reason}`);
  const watcher = new KernelWatcher(native.addon, {
    root: Buffer.from(root),
    folder: root,
    ignored,
    kernelEvents,
    ...(clock ? { clock } : {}),
  });
  const events: WatchEvent[] = [];
  const errors: WatcherErrorInfo[] = [];
  const rescans: string[] = [];
  watcher.on('event', (event) => events.push(event));
  watcher.on('error', (error) => errors.push(error));
  watcher.on('rescan', (reason) => rescans.push(reason));
  cleanups.push(() => watcher.close());
  await watcher.start();
  return { watcher, events, errors, rescans };
}

/** Events as short strings: "kind path" ("moved from>path"), with " dir", " writing" or " entries=N". */
const show = (events: WatchEvent[]) =>
  events.map(
    (e) =>
      `${e.kind} ${e.from !== undefined ? `${e.from}>` : ''}${e.path}${e.dir ? ' dir' : ''}${e.writing ? ' writing' : ''}` +
      `${e.entries !== undefined && e.entries !== 1 ? ` entries=${e.entries}` : ''}`,
  );

/** Waits until a marker file created last is reported: everything queued before it has been read by then. */
async function settle(root: string, events: WatchEvent[]): Promise<string[]> {
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await fsp.writeFile(path.join(root, marker), '');
  await eventually(() => expect(events.some((e) => e.path === marker)).toBe(true));
  return show(events).filter((line) => !line.includes('marker-'));
}

describe('native inotify watcher: kernel events', () => {
  it('the addon is built and loads (npm run build compiles it)', () => {
    expect(native.reason).toBeNull();
  });

  it('file: created, changed while written (writing), closed, metadata changed, removed', async () => {
    const root = await folder([]);
    const { events } = await watch(root);
    const file = path.join(root, 'f');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'part 1');
    await eventually(() => expect(show(events)).toEqual(['created f', 'changed f writing']));
    fs.writeSync(fd, 'part 2');
    await eventually(() => expect(show(events)).toHaveLength(3));
    fs.closeSync(fd);
    await eventually(() => expect(show(events).at(-1)).toBe('closed f'));
    fs.chmodSync(file, 0o600);
    await eventually(() => expect(show(events).at(-1)).toBe('changed f'));
    fs.unlinkSync(file);
    expect(await settle(root, events)).toEqual([
      'created f',
      'changed f writing',
      'changed f writing',
      'closed f',
      'changed f',
      'removed f',
    ]);
  });

  it('directories: created (with what was written into it at once), removed with its entry count', async () => {
    const root = await folder([]);
    const { watcher, events } = await watch(root);
    fs.mkdirSync(path.join(root, 'd/e'), { recursive: true });
    fs.writeFileSync(path.join(root, 'd/e/f'), 'x');
    await eventually(() =>
      expect(show(events)).toEqual(expect.arrayContaining(['created d dir', 'created d/e/f'])),
    );
    expect(watcher.directories).toBe(3);
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    const lines = await settle(root, events);
    expect(lines).toContain('removed d dir');
    expect(lines).toContain('removed d/e dir');
    expect(lines).toContain('removed d/e/f');
    expect(watcher.directories).toBe(1);
  });

  it('moves a file: same parent, another parent, a rename chain, a move then a modify', async () => {
    const root = await folder(['a', 'sub/', 'x']);
    const { events } = await watch(root);
    fs.renameSync(path.join(root, 'a'), path.join(root, 'b'));
    fs.renameSync(path.join(root, 'b'), path.join(root, 'sub/c'));
    fs.renameSync(path.join(root, 'x'), path.join(root, 'y'));
    fs.renameSync(path.join(root, 'y'), path.join(root, 'z'));
    fs.renameSync(path.join(root, 'z'), path.join(root, 'sub/x'));
    fs.appendFileSync(path.join(root, 'sub/x'), 'more');
    expect(await settle(root, events)).toEqual([
      'moved a>b',
      'moved b>sub/c',
      'moved x>y',
      'moved y>z',
      'moved z>sub/x',
      'changed sub/x writing',
      'closed sub/x',
    ]);
  });

  it('moves a directory: it keeps its watches, events below it carry the new path, nothing is listed again', async () => {
    const root = await folder(['p/q/r/f', 'p/q/g', 'other/', 'keep/']);
    const { watcher, events } = await watch(root);
    expect(watcher.directories).toBe(6);
    fs.renameSync(path.join(root, 'p'), path.join(root, 'p2'));
    fs.renameSync(path.join(root, 'p2/q'), path.join(root, 'other/q2'));
    fs.writeFileSync(path.join(root, 'other/q2/r/new'), 'x');
    fs.writeFileSync(path.join(root, 'p2/new'), 'x');
    expect(await settle(root, events)).toEqual([
      'moved p>p2 dir',
      'moved p2/q>other/q2 dir',
      'created other/q2/r/new',
      'changed other/q2/r/new writing',
      'closed other/q2/r/new',
      'created p2/new',
      'changed p2/new writing',
      'closed p2/new',
    ]);
    expect(watcher.directories).toBe(6);
    // The old paths are free again: a new directory there is a new directory.
    fs.mkdirSync(path.join(root, 'p/q'), { recursive: true });
    fs.writeFileSync(path.join(root, 'p/q/h'), 'x');
    await eventually(() => expect(show(events)).toContain('created p/q/h')); // found by listing p/q
    expect(watcher.directories).toBe(8);
    fs.rmSync(path.join(root, 'other/q2'), { recursive: true });
    const lines = await settle(root, events);
    expect(lines).toContain('removed other/q2 dir');
    expect(watcher.directories).toBe(6);
  });

  it('a move into a directory made a moment before (read in one batch, no IN_MOVED_TO): still a move', async () => {
    const root = await folder(['photos/y2019/p1', 'photos/p2', 'todo', 'keep/']);
    const { watcher, events } = await watch(root);
    expect(watcher.directories).toBe(4);
    // As a script runs them: the new directory is watched only after the moves into it, so the kernel reports
    // the moves' IN_MOVED_FROM alone. The listing of the new directory claims what they moved.
    fs.mkdirSync(path.join(root, 'archive'));
    fs.renameSync(path.join(root, 'photos'), path.join(root, 'archive/photos'));
    fs.mkdirSync(path.join(root, 'old'));
    fs.renameSync(path.join(root, 'todo'), path.join(root, 'old/todo'));
    fs.renameSync(path.join(root, 'keep'), path.join(root, 'old/kept')); // another name: found by its inode
    expect(await settle(root, events)).toEqual([
      'created archive dir',
      'moved photos>archive/photos dir',
      'created old dir',
      'moved keep>old/kept dir',
      'moved todo>old/todo',
    ]);
    // The moved directories kept their watches: events below them carry the new path.
    expect(watcher.directories).toBe(6);
    fs.writeFileSync(path.join(root, 'archive/photos/y2019/p3'), 'x');
    await eventually(() => expect(show(events)).toContain('closed archive/photos/y2019/p3'));
    expect(watcher.entriesBelow()).toBe(10);
  });

  it('a directory moved out while another takes its name: the new one stays watched', async () => {
    const root = await folder(['d/a', 'd/b']);
    const outside = await folder([]);
    const { watcher, events } = await watch(root);
    fs.renameSync(path.join(root, 'd'), path.join(outside, 'd'));
    fs.mkdirSync(path.join(root, 'd'));
    await eventually(() => expect(show(events)).toEqual(['removed d dir entries=3', 'created d dir']));
    // Once the move out is settled (MOVE_PAIR_MS), the new directory is neither removed nor unwatched.
    const lines = await settle(root, events);
    expect(lines).toEqual(['removed d dir entries=3', 'created d dir']);
    fs.writeFileSync(path.join(root, 'd/new'), 'x');
    await eventually(() => expect(show(events)).toContain('closed d/new'));
    expect(watcher.directories).toBe(2);
  });
  it('a move out of the folder is a removal (watches dropped), a move in a creation (contents listed)', async () => {
    const root = await folder(['d/e/f', 'd/g', 'file']);
    const outside = await folder(['in/sub/h', 'in/i']);
    const { watcher, events } = await watch(root);
    fs.renameSync(path.join(root, 'd'), path.join(outside, 'd'));
    fs.renameSync(path.join(root, 'file'), path.join(outside, 'file'));
    await eventually(() => expect(show(events)).toEqual(['removed d dir entries=4', 'removed file']));
    expect(watcher.directories).toBe(1);
    fs.writeFileSync(path.join(outside, 'd/e/later'), 'x'); // no longer ours
    fs.renameSync(path.join(outside, 'in'), path.join(root, 'in'));
    const lines = await settle(root, events);
    expect(lines.slice(2).sort()).toEqual([
      'created in dir',
      'created in/i',
      'created in/sub dir',
      'created in/sub/h',
    ]);
    expect(watcher.directories).toBe(3);
    fs.writeFileSync(path.join(root, 'in/sub/new'), 'x');
    await eventually(() => expect(show(events)).toContain('closed in/sub/new'));
  });

  it('an IN_MOVED_FROM without its pair waits MOVE_PAIR_MS on the clock, then it is a move out', async () => {
    const root = await folder(['d/e/f', 'g']);
    const outside = await folder([]);
    const clock = new FakeClock();
    const { watcher, events } = await watch(root, () => false, true, clock);
    fs.renameSync(path.join(root, 'g'), path.join(outside, 'g'));
    await eventually(() => expect(clock.pending).toBe(1)); // read, and held
    expect(show(events)).toEqual([]);
    clock.advance(MOVE_PAIR_MS - 1);
    expect(show(events)).toEqual([]);
    clock.advance(1);
    expect(show(events)).toEqual(['removed g']);
    // A batch that arrives first settles the held move at once (here: a directory moved out, then a write).
    fs.renameSync(path.join(root, 'd'), path.join(outside, 'd'));
    await eventually(() => expect(clock.pending).toBe(1));
    fs.writeFileSync(path.join(root, 'h'), '');
    await eventually(() =>
      expect(show(events).slice(1, 3)).toEqual(['removed d dir entries=3', 'created h']),
    );
    expect(clock.pending).toBe(0);
    expect(watcher.directories).toBe(1);
  });

  it('a move into an excluded directory is a removal, out of one a creation', async () => {
    const root = await folder(['cache/old/f', 'd/e/f', 'g']);
    const ignored = compileExcludes({ regex: [], glob: ['cache'], defaultTemporary: false });
    const { watcher, events } = await watch(root, ignored);
    expect(watcher.directories).toBe(3); // the folder, d, d/e
    fs.renameSync(path.join(root, 'd'), path.join(root, 'cache/d'));
    fs.renameSync(path.join(root, 'g'), path.join(root, 'cache/g'));
    fs.renameSync(path.join(root, 'cache/old'), path.join(root, 'old'));
    // The moves into the unwatched directory are seen on one side only: removals once MOVE_PAIR_MS has passed.
    await eventually(() => expect(show(events)).toContain('removed g'));
    expect((await settle(root, events)).sort()).toEqual([
      'created old dir',
      'created old/f',
      'removed d dir entries=3',
      'removed g',
    ]);
    expect(watcher.directories).toBe(2);
  });

  it('a directory replaced under the same name is removed then created', async () => {
    const root = await folder(['d/old']);
    const { watcher, events } = await watch(root);
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    fs.mkdirSync(path.join(root, 'd'));
    await settle(root, events);
    fs.writeFileSync(path.join(root, 'd/new'), '');
    fs.renameSync(path.join(root, 'd'), path.join(root, 'd.old'));
    await settle(root, events);
    fs.mkdirSync(path.join(root, 'd'));
    expect(await settle(root, events)).toEqual([
      'removed d/old',
      'removed d dir',
      'created d dir',
      'created d/new',
      'closed d/new',
      'moved d>d.old dir',
      'created d dir',
    ]);
    expect(watcher.directories).toBe(3);
  });

  it('all of that before the watcher reads a single event: still every directory watched, every file reported', async () => {
    const root = await folder(['d/old']);
    const { watcher, events } = await watch(root);
    // Synchronous calls: the kernel queues everything before the event loop lets the watcher read.
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd/new'), '');
    fs.renameSync(path.join(root, 'd'), path.join(root, 'd.old'));
    fs.mkdirSync(path.join(root, 'd'));
    const lines = await settle(root, events);
    expect(lines.slice(0, 2)).toEqual(['removed d/old', 'removed d dir']);
    expect(lines).toContain('moved d>d.old dir');
    // The file written into the short-lived directory is reported at the path it has now.
    expect(lines.indexOf('created d.old/new')).toBeGreaterThan(lines.indexOf('moved d>d.old dir'));
    expect(lines.at(-1)).toBe('created d dir');
    expect(watcher.directories).toBe(3);
    fs.writeFileSync(path.join(root, 'd.old/x'), '');
    fs.writeFileSync(path.join(root, 'd/y'), '');
    await eventually(() =>
      expect(show(events)).toEqual(expect.arrayContaining(['closed d.old/x', 'closed d/y'])),
    );
  });

  it('keeps names byte for byte: not UTF-8, newline, leading dash; also in moves', async () => {
    const root = await folder([]);
    const { events } = await watch(root);
    const odd = Buffer.from([0x2d, 0x66, 0xff, 0xfe, 0x0a, 0x2a, 0x20, 0x23]); // -f, invalid bytes, newline, * #
    const at = (...parts: Buffer[]) => Buffer.concat([Buffer.from(`${root}/`), ...parts]);
    fs.mkdirSync(at(odd));
    await settle(root, events);
    fs.writeFileSync(at(odd, Buffer.from('/'), odd), 'x');
    fs.renameSync(at(odd, Buffer.from('/'), odd), at(odd, Buffer.from('/moved\n'), odd));
    fs.renameSync(at(odd), at(Buffer.from('d\xe9', 'latin1')));
    const rel = odd.toString('latin1');
    expect(await settle(root, events)).toEqual([
      `created ${rel} dir`,
      `created ${rel}/${rel}`,
      `changed ${rel}/${rel} writing`,
      `closed ${rel}/${rel}`,
      `moved ${rel}/${rel}>${rel}/moved\n${rel}`,
      `moved ${rel}>d\xe9 dir`,
    ]);
  });

  it('without kernelEvents (the engine does not handle them yet): moves are removed + created, closes not reported', async () => {
    const root = await folder(['d/e/f', 'g']);
    const { watcher, events } = await watch(root, () => false, false);
    fs.renameSync(path.join(root, 'g'), path.join(root, 'h'));
    fs.renameSync(path.join(root, 'd'), path.join(root, 'd2'));
    const lines = await settle(root, events);
    expect(lines.slice(0, 4)).toEqual([
      'removed g',
      'created h',
      'removed d dir entries=3',
      'created d2 dir',
    ]);
    expect(lines.slice(4).sort()).toEqual(['created d2/e dir', 'created d2/e/f']);
    expect(events.some((e) => e.kind === 'closed' || e.kind === 'moved')).toBe(false);
    expect(watcher.directories).toBe(3);
  });

  it('the folder removed: source-missing', async () => {
    const root = await folder(['a/b']);
    const { errors } = await watch(root);
    fs.rmSync(root, { recursive: true });
    await eventually(() => expect(errors.map((e) => e.kind)).toEqual(['source-missing']));
  });
});

describe('native inotify watcher: unmount', () => {
  it('the folder is a mount that goes away: an "unmounted" error naming it', async (context) => {
    const root = await folder([]);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'rsync-live-test', root], { stdio: 'pipe' });
    } catch (error) {
      console.log(`skipped: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`);
      context.skip();
      return;
    }
    let mounted = true;
    cleanups.push(() => {
      if (mounted) execFileSync('umount', ['-l', root]);
    });
    fs.mkdirSync(path.join(root, 'sub/deeper'), { recursive: true });
    const { errors, watcher } = await watch(root);
    expect(watcher.directories).toBe(3);
    execFileSync('umount', ['-l', root]);
    mounted = false;
    await eventually(() => expect(errors.map((e) => e.kind)).toEqual(['unmounted']));
    expect(errors[0]?.message).toContain(`the folder ${root} was unmounted`);
    expect(watcher.directories).toBe(0);
  });
});

describe('createWatcher: native backend or fs.watch fallback', () => {
  const options = (root: string) => ({ root: Buffer.from(root), folder: root, ignored: () => false });

  it('uses the native backend when the addon loads', async () => {
    const root = await folder([]);
    const watcher = createWatcher('inotify', options(root));
    cleanups.push(() => watcher.close());
    expect(watcher.backend).toBe('inotify');
    expect(watcher.capabilities).toEqual({ closeWrite: true, moves: true });
  });

  it('falls back to fs.watch when the addon is absent, and says why', async () => {
    const root = await folder([]);
    const absent = loadNativeInotify([path.join(root, 'no-such-addon.node')]);
    expect(absent.addon).toBeNull();
    expect(absent.reason).toMatch(/native addon not built \(npm run build compiles it/);
    const watcher = createWatcher('inotify', options(root), absent);
    cleanups.push(() => watcher.close());
    expect(watcher.backend).toBe(`inotify (fs.watch fallback: ${absent.reason})`);
    expect(watcher.capabilities).toEqual({ closeWrite: false, moves: false });
    await watcher.start();
    expect(watcher.directories).toBe(1);
  });

  it('falls back when the file is there but is no loadable addon', async () => {
    const root = await folder(['broken.node']);
    const broken = loadNativeInotify([path.join(root, 'broken.node')]);
    expect(broken.reason).toMatch(/^cannot load .*broken\.node: /);
  });

  it('RSYNC_LIVE_NO_NATIVE=1 forces the fallback', async () => {
    const root = await folder([]);
    process.env.RSYNC_LIVE_NO_NATIVE = '1';
    cleanups.push(() => {
      delete process.env.RSYNC_LIVE_NO_NATIVE;
    });
    const forced = loadNativeInotify([]);
    expect(forced).toEqual({ addon: null, reason: 'RSYNC_LIVE_NO_NATIVE=1' });
    const watcher = createWatcher('inotify', options(root), forced);
    expect(watcher.backend).toBe('inotify (fs.watch fallback: RSYNC_LIVE_NO_NATIVE=1)');
  });

  it('a packaged app loads the addon from app.asar.unpacked (electron-builder asarUnpack)', () => {
    expect(unpacked('/opt/Rsync Live/resources/app.asar/dist/native/rsync_live_inotify.node')).toBe(
      '/opt/Rsync Live/resources/app.asar.unpacked/dist/native/rsync_live_inotify.node',
    );
    expect(unpacked('/work/dist/native/rsync_live_inotify.node')).toBe(
      '/work/dist/native/rsync_live_inotify.node',
    );
  });

  it('chokidar has no kernel events', async () => {
    const root = await folder([]);
    const watcher = createWatcher('chokidar', options(root));
    expect(watcher.capabilities).toEqual({ closeWrite: false, moves: false });
  });
});
