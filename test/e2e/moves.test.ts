// Moves inside a folder reach a real rsync daemon without re-sending the moved data: planMoves' runs create the
// new paths from the old copies on the target, then the old paths are deleted. Bytes are read from the
// daemon's transfer log.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDaemonLog, TRANSFER_LOG_FORMAT } from '../../bench/daemon-log.js';
import { relFromUtf8, type RelPath } from '../../electron/engine/byte-path.js';
import { buildArgs, encodeFileList, VERSIONS_DIR } from '../../electron/engine/rsync/command.js';
import {
  deletionRun,
  moveRunOutcome,
  planMoves,
  runMovePlan,
  type Move,
  type MovePlan,
  type MovePlanResult,
  type MoveRunBase,
} from '../../electron/engine/rsync/move-plan.js';
import { runRsync, type RunResult } from '../../electron/engine/rsync/runner.js';
import { parseTarget } from '../../electron/engine/rsync/target.js';
import { diffManifests, manifest } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

const MiB = 1024 * 1024;
const TRANSFER_LOG = { 'transfer logging': 'yes', 'log format': TRANSFER_LOG_FORMAT };

let tmp: string;
const daemons: RsyncDaemon[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-moves-'));
});
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.dispose();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Random (incompressible, not delta-trivial) bytes; every file a different size so no two share size+mtime. */
async function writeRandom(file: string, size: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, randomBytes(size));
}

function base(
  folder: string,
  url: string,
  daemon: RsyncDaemon,
  deletion: MoveRunBase['deletion'],
): MoveRunBase {
  return {
    folder,
    target: parseTarget(url),
    deletion,
    options: { extraArgs: [], timeoutSec: 60, contimeoutSec: 15, bwlimitKiB: 0 },
    passwordFile: daemon.passwordFile,
    excludeGlobs: ['*.tmp', '/cache/'],
    today: '2026-12-04',
  };
}

async function run(r: { args: string[]; input: Buffer }): Promise<RunResult> {
  return runRsync({ rsync: 'rsync', args: r.args, input: r.input, password: null });
}

async function initialSync(b: MoveRunBase): Promise<void> {
  const result = await run({ args: buildArgs({ ...b, kind: 'full' }), input: Buffer.alloc(0) });
  expect(result.exitCode, result.stderr).toBe(0);
}

/** The ordinary way for moves the plan leaves plain: files as a path run, directories as a tree run. */
async function sendPlain(b: MoveRunBase, moves: readonly Move[]): Promise<boolean> {
  const files = moves.filter((m) => !m.dir).map((m) => m.path);
  const dirs = moves.filter((m) => m.dir).map((m) => m.path);
  for (const [kind, list] of [
    ['paths', files],
    ['tree', dirs],
  ] as const) {
    if (list.length === 0) continue;
    const result = await run({ args: buildArgs({ ...b, kind }), input: encodeFileList(list) });
    if (result.exitCode !== 0) return false;
  }
  return true;
}

interface Carried extends MovePlanResult {
  outcomes: Array<ReturnType<typeof moveRunOutcome>>;
  notes: string[];
}

/**
 * runMovePlan with a runner over real rsync runs; `beforeDelete` sees the target between the creation of the
 * new paths and the deletion of the old ones.
 */
async function carryOut(
  plan: MovePlan,
  b: MoveRunBase,
  beforeDelete: () => Promise<void> = async () => {},
): Promise<Carried> {
  const outcomes: Carried['outcomes'] = [];
  const notes: string[] = [];
  const result = await runMovePlan(
    plan,
    {
      run: async (r) => {
        const res = await run(r);
        outcomes.push(moveRunOutcome(res));
        return res;
      },
      sendPlain: (moves) => sendPlain(b, moves),
      deleteOld: async (paths) => {
        await beforeDelete();
        expect((await run(deletionRun(b, paths)!)).exitCode).toBe(0);
      },
      note: (line) => notes.push(line),
    },
    'the target',
  );
  return { ...result, outcomes, notes };
}

async function startDaemon(extra: Record<string, string> = {}, refuseOptions?: string): Promise<RsyncDaemon> {
  const daemon = await startRsyncDaemon({
    modules: [{ extra: { ...TRANSFER_LOG, ...extra }, ...(refuseOptions ? { refuseOptions } : {}) }],
  });
  daemons.push(daemon);
  return daemon;
}

const ignoreVersions = (rel: string): boolean => rel === VERSIONS_DIR;
const notExcluded = (rel: RelPath): boolean =>
  /\.tmp$/.test(rel) || rel === 'cache' || rel.startsWith('cache/');

describe('moves against a real daemon', () => {
  it('moves 72 MiB (renamed directory, file to another folder under a new name, rename in place, project under another parent, a file into the renamed directory) sending < 1 %', async () => {
    const daemon = await startDaemon();
    const folder = path.join(tmp, 'a');
    // A sub-path of the module with odd bytes, so the runs' destinations are module sub-paths too.
    const sub = 'mirror #1/[x]';
    const b = base(folder, daemon.url(undefined, sub), daemon, 'mirror');
    for (let i = 0; i < 10; i++)
      await writeRandom(path.join(folder, 'album', `track ${i}.flac`), 5 * MiB + i * 977);
    await writeRandom(path.join(folder, 'videos', 'clip.mp4'), 10 * MiB + 3);
    await writeRandom(path.join(folder, 'notes', 'draft.bin'), 3 * MiB + 5);
    await writeRandom(path.join(folder, 'notes', 'lyrics.txt'), 1 * MiB + 13);
    await writeRandom(path.join(folder, 'work', 'project', 'src', 'main.c'), 2 * MiB + 7);
    await writeRandom(path.join(folder, 'work', 'project', 'assets', 'logo.png'), 6 * MiB + 11);
    await writeFile(path.join(folder, 'work', 'project', 'scratch.tmp'), 'excluded');
    await mkdir(path.join(folder, 'archive'), { recursive: true });
    await initialSync(b);
    const modRoot = path.join(daemon.modulePath, sub);
    await rm(path.join(folder, 'work', 'project', 'scratch.tmp')); // re-created after the move: must stay unsent

    const moved = 50 * MiB + 10 * MiB + 3 * MiB + 8 * MiB + 1 * MiB;
    await rename(path.join(folder, 'album'), path.join(folder, 'Album 2026; best [#1]'));
    await mkdir(path.join(folder, 'films', '-new'), { recursive: true });
    await rename(
      path.join(folder, 'videos', 'clip.mp4'),
      path.join(folder, 'films', '-new', 'holiday *cut*.mp4'),
    );
    await rename(path.join(folder, 'notes', 'draft.bin'), path.join(folder, 'notes', '#final.bin'));
    await rename(path.join(folder, 'work', 'project'), path.join(folder, 'archive', 'project'));
    // Into the renamed directory: its run must not send it without a basis.
    await rename(
      path.join(folder, 'notes', 'lyrics.txt'),
      path.join(folder, 'Album 2026; best [#1]', 'lyrics.txt'),
    );
    await writeFile(path.join(folder, 'archive', 'project', 'scratch.tmp'), 'still excluded');
    // A move then a modify: the change is sent as a delta against the old data.
    await appendFile(path.join(folder, 'Album 2026; best [#1]', 'track 3.flac'), 'appended after the move');
    const moves: Move[] = [
      { from: relFromUtf8('album'), path: relFromUtf8('Album 2026; best [#1]'), dir: true },
      { from: relFromUtf8('videos/clip.mp4'), path: relFromUtf8('films/-new/holiday *cut*.mp4'), dir: false },
      { from: relFromUtf8('notes/draft.bin'), path: relFromUtf8('notes/#final.bin'), dir: false },
      { from: relFromUtf8('work/project'), path: relFromUtf8('archive/project'), dir: true },
      {
        from: relFromUtf8('notes/lyrics.txt'),
        path: relFromUtf8('Album 2026; best [#1]/lyrics.txt'),
        dir: false,
      },
    ];
    const plan = planMoves({
      moves,
      base: b,
      isExcluded: notExcluded,
      regexExcludes: false,
      basisAllowed: true,
    });
    expect(plan.plain).toEqual([]);
    expect(plan.runs).toHaveLength(5); // the renamed directory + one per destination directory

    const logBefore = (await daemon.readLog()).length;
    expect([...plan.deletions].sort()).toEqual([
      'album',
      'notes/draft.bin',
      'notes/lyrics.txt',
      'videos/clip.mp4',
      'work/project',
    ]);
    const local = await manifest(folder, { ignore: (rel) => rel.endsWith('.tmp') });
    let checked = false;
    const carried = await carryOut(plan, b, async () => {
      // Every new path is complete while the old ones are still there.
      const afterRuns = await manifest(modRoot, { ignore: ignoreVersions });
      for (const old of [
        'album/track 0.flac',
        'videos/clip.mp4',
        'notes/draft.bin',
        'work/project/src/main.c',
      ]) {
        expect(afterRuns.has(old), old).toBe(true);
      }
      for (const [rel, entry] of local) {
        if (entry.type === 'file') expect(afterRuns.get(rel)?.sha256, rel).toBe(entry.sha256);
      }
      checked = true;
    });
    expect(carried).toMatchObject({
      complete: true,
      basisRefused: false,
      outcomes: ['ok', 'ok', 'ok', 'ok', 'ok'],
      notes: [],
    });
    expect(checked).toBe(true);
    const log = (await daemon.readLog()).slice(logBefore);
    const sent = parseDaemonLog(log, new Set([daemon.moduleName]));
    // A non-root daemon cannot chroot, and without chroot rsync's --fuzzy --fuzzy does not find a file renamed
    // into another directory (docs/config.md, "Moves"): that one file is then sent in full.
    const chrooted = process.getuid?.() === 0;
    const unmatched = chrooted ? 0 : (sent.files.get('holiday *cut*.mp4')?.bytes ?? 0);
    expect(sent.dataBytes - unmatched).toBeLessThanOrEqual(moved / 100);
    expect(sent.files.get('lyrics.txt')).toBeUndefined(); // copied on the server, found by name
    expect(sent.dataBytes).toBeGreaterThan(0);

    const target = await manifest(modRoot, { ignore: ignoreVersions });
    expect(diffManifests(local, target)).toEqual([]);
  });

  it('versions mode: the old path and an overwritten file go to the versions folder', async () => {
    const daemon = await startDaemon();
    const folder = path.join(tmp, 'v');
    const b = base(folder, daemon.url(), daemon, 'versions');
    await writeRandom(path.join(folder, 'docs', 'a.bin'), 4 * MiB + 1);
    await writeRandom(path.join(folder, 'docs', 'b.bin'), 1 * MiB + 2);
    await writeRandom(path.join(folder, 'old', 'dir', 'x.bin'), 2 * MiB + 3);
    await initialSync(b);
    const before = await readFile(path.join(daemon.modulePath, 'docs', 'b.bin'));
    await rename(path.join(folder, 'docs', 'a.bin'), path.join(folder, 'docs', 'b.bin')); // onto an existing name
    await mkdir(path.join(folder, 'new'));
    await rename(path.join(folder, 'old', 'dir'), path.join(folder, 'new', 'renamed'));
    const plan = planMoves({
      moves: [
        { from: relFromUtf8('docs/a.bin'), path: relFromUtf8('docs/b.bin'), dir: false },
        { from: relFromUtf8('old/dir'), path: relFromUtf8('new/renamed'), dir: true },
      ],
      base: b,
      isExcluded: () => false,
      regexExcludes: false,
      basisAllowed: true,
    });
    expect(await carryOut(plan, b)).toMatchObject({ complete: true, outcomes: ['ok', 'ok'] });
    const local = await manifest(folder);
    expect(diffManifests(local, await manifest(daemon.modulePath, { ignore: ignoreVersions }))).toEqual([]);
    const versions = path.join(daemon.modulePath, VERSIONS_DIR, '2026-12-04');
    expect((await readFile(path.join(versions, 'docs', 'b.bin'))).equals(before)).toBe(true);
    expect((await stat(path.join(versions, 'docs', 'a.bin'))).size).toBe(4 * MiB + 1);
    expect((await stat(path.join(versions, 'old', 'dir', 'x.bin'))).size).toBe(2 * MiB + 3);
  });

  it('a daemon that refuses the basis options: the moves are sent plainly, once, with a note naming the option', async () => {
    const daemon = await startDaemon({}, 'copy-dest link-dest fuzzy');
    const folder = path.join(tmp, 'r');
    const b = base(folder, daemon.url(), daemon, 'mirror');
    await writeRandom(path.join(folder, 'a', 'f.bin'), 1 * MiB + 5);
    await writeRandom(path.join(folder, 'c', 'g.bin'), 1 * MiB + 6);
    await initialSync(b);
    await mkdir(path.join(folder, 'b'));
    await rename(path.join(folder, 'a', 'f.bin'), path.join(folder, 'b', 'f.bin'));
    await rename(path.join(folder, 'c', 'g.bin'), path.join(folder, 'c', 'h.bin'));
    const moves: Move[] = [
      { from: relFromUtf8('a/f.bin'), path: relFromUtf8('b/f.bin'), dir: false },
      { from: relFromUtf8('c/g.bin'), path: relFromUtf8('c/h.bin'), dir: false },
    ];
    const plan = planMoves({
      moves,
      base: b,
      isExcluded: () => false,
      regexExcludes: false,
      basisAllowed: true,
    });
    expect(plan.runs).toHaveLength(2);
    const carried = await carryOut(plan, b);
    // The first run is refused; the second is not tried: both moves go the plain way, one note.
    expect(carried).toMatchObject({ complete: true, basisRefused: true, outcomes: ['refused'] });
    expect(carried.notes).toHaveLength(1);
    expect(carried.notes[0]).toMatch(
      /^the target refused --(copy-dest|fuzzy), so moves in this folder are re-sent/,
    );
    expect(carried.notes[0]).toMatch(/"refuse options" line/);
    expect(diffManifests(await manifest(folder), await manifest(daemon.modulePath))).toEqual([]);
    // Later moves to that target: planned without the basis options.
    const later = planMoves({
      moves,
      base: b,
      isExcluded: () => false,
      regexExcludes: false,
      basisAllowed: false,
    });
    expect(later.runs).toEqual([]);
    expect(later.plain).toEqual(moves);
  });

  it('the old path is gone from the target: the run still creates the new path (a plain send)', async () => {
    const daemon = await startDaemon();
    const folder = path.join(tmp, 'g');
    const b = base(folder, daemon.url(), daemon, 'mirror');
    await writeRandom(path.join(folder, 'x', 'f.bin'), 256 * 1024 + 9);
    await initialSync(b);
    await rm(path.join(daemon.modulePath, 'x'), { recursive: true });
    await mkdir(path.join(folder, 'y'));
    await rename(path.join(folder, 'x', 'f.bin'), path.join(folder, 'y', 'g.bin'));
    const plan = planMoves({
      moves: [{ from: relFromUtf8('x/f.bin'), path: relFromUtf8('y/g.bin'), dir: false }],
      base: b,
      isExcluded: () => false,
      regexExcludes: false,
      basisAllowed: true,
    });
    expect(await carryOut(plan, b)).toMatchObject({ complete: true, outcomes: ['ok'] });
    expect(diffManifests(await manifest(folder), await manifest(daemon.modulePath))).toEqual([]);
  });

  it('names with a newline, a leading dash and non-UTF-8 bytes (those go the plain way)', async () => {
    const daemon = await startDaemon();
    const folder = path.join(tmp, 'o');
    const b = base(folder, daemon.url(), daemon, 'mirror');
    await writeRandom(path.join(folder, 'line\nbreak', 'f.bin'), 512 * 1024 + 1);
    const latin1 = Buffer.from('caf\xe9', 'latin1'); // not UTF-8
    await mkdir(folder, { recursive: true });
    await writeFile(Buffer.concat([Buffer.from(`${folder}/`), latin1]), randomBytes(64 * 1024));
    await initialSync(b);
    const logBefore = (await daemon.readLog()).length;
    await rename(path.join(folder, 'line\nbreak'), path.join(folder, '-new\nline'));
    await rename(Buffer.concat([Buffer.from(`${folder}/`), latin1]), path.join(folder, 'plain.bin'));
    const moves: Move[] = [
      { from: relFromUtf8('line\nbreak'), path: relFromUtf8('-new\nline'), dir: true },
      { from: latin1.toString('latin1') as RelPath, path: relFromUtf8('plain.bin'), dir: false },
    ];
    const plan = planMoves({
      moves,
      base: b,
      isExcluded: () => false,
      regexExcludes: false,
      basisAllowed: true,
    });
    expect(plan.plain).toEqual([moves[1]]);
    expect(await carryOut(plan, b)).toMatchObject({ complete: true, outcomes: ['ok'] });
    expect(diffManifests(await manifest(folder), await manifest(daemon.modulePath))).toEqual([]);
    const sent = parseDaemonLog((await daemon.readLog()).slice(logBefore), new Set([daemon.moduleName]));
    expect(sent.files.get('f.bin')).toBeUndefined(); // copied on the server
  });

  it('use chroot = no: renamed directories and same-named moves still use the basis', async () => {
    const daemon = await startDaemon({ 'use chroot': 'no' });
    const folder = path.join(tmp, 'n');
    const b = base(folder, daemon.url(), daemon, 'mirror');
    await writeRandom(path.join(folder, 'a', 'd', 'f.bin'), 2 * MiB + 1);
    await writeRandom(path.join(folder, 'a', 'g.bin'), 2 * MiB + 2);
    await initialSync(b);
    const logBefore = (await daemon.readLog()).length;
    await mkdir(path.join(folder, 'b'));
    await rename(path.join(folder, 'a', 'd'), path.join(folder, 'b', 'e'));
    await rename(path.join(folder, 'a', 'g.bin'), path.join(folder, 'b', 'g.bin'));
    const moves: Move[] = [
      { from: relFromUtf8('a/d'), path: relFromUtf8('b/e'), dir: true },
      { from: relFromUtf8('a/g.bin'), path: relFromUtf8('b/g.bin'), dir: false },
    ];
    const plan = planMoves({
      moves,
      base: b,
      isExcluded: () => false,
      regexExcludes: false,
      basisAllowed: true,
    });
    expect(await carryOut(plan, b)).toMatchObject({ complete: true, outcomes: ['ok', 'ok'] });
    expect(diffManifests(await manifest(folder), await manifest(daemon.modulePath))).toEqual([]);
    const sent = parseDaemonLog((await daemon.readLog()).slice(logBefore), new Set([daemon.moduleName]));
    expect(sent.dataBytes).toBeLessThanOrEqual((4 * MiB) / 100);
  });
});
