import { describe, expect, it } from 'vitest';
import { relFromBuffer, relFromUtf8, type RelPath } from '../../electron/engine/byte-path.js';
import {
  argText,
  deletionRun,
  isBasisRefused,
  moveRunOutcome,
  planMoves,
  refusedBasisNote,
  relativeFrom,
  rerootGlobs,
  retryIncompleteMoves,
  runMovePlan,
  type Move,
  type MoveRunBase,
} from '../../electron/engine/rsync/move-plan.js';
import { parseTarget } from '../../electron/engine/rsync/target.js';

const base: MoveRunBase = {
  folder: '/home/u/data',
  target: parseTarget('rsync://backup@nas:873/mod/mirror'),
  deletion: 'mirror',
  options: { extraArgs: ['--numeric-ids'], timeoutSec: 30, contimeoutSec: 10, bwlimitKiB: 0 },
  passwordFile: '/etc/rl.pw',
  excludeGlobs: ['*.tmp', '/cache', 'docs/private/'],
  today: '2026-12-04',
};
const r = relFromUtf8;
const mv = (from: string, path: string, dir = false): Move => ({ from: r(from), path: r(path), dir });
const none = (): boolean => false;
const plan = (moves: Move[], extra: Partial<Parameters<typeof planMoves>[0]> = {}) =>
  planMoves({ moves, base, isExcluded: none, regexExcludes: false, basisAllowed: true, ...extra });
const stdin = (buf: Buffer): string[] => buf.toString('latin1').split('\0').slice(0, -1);
const basisArgs = (args: string[]): string[] =>
  args.filter((a) => /^--(copy-dest|fuzzy|backup-dir)|^rsync:|^\/home/.test(a));

describe('planMoves', () => {
  const cases: Array<{
    name: string;
    moves: Move[];
    runs: Array<{ argv: string[]; stdin: string[] }>;
    deletions: string[];
  }> = [
    {
      name: 'a file renamed in place: fuzzy in the destination directory, no copy-dest',
      moves: [mv('notes/a.txt', 'notes/b.txt')],
      runs: [
        {
          argv: ['--fuzzy', '--fuzzy', '/home/u/data/notes/', 'rsync://backup@nas:873/mod/mirror/notes/'],
          stdin: ['b.txt'],
        },
      ],
      deletions: ['notes/a.txt'],
    },
    {
      name: 'a file moved to another folder under a new name: copy-dest to the old folder plus fuzzy',
      moves: [mv('videos/clip.mp4', 'films/2026/holiday.mp4')],
      runs: [
        {
          argv: [
            '--copy-dest=../../videos',
            '--fuzzy',
            '--fuzzy',
            '/home/u/data/films/2026/',
            'rsync://backup@nas:873/mod/mirror/films/2026/',
          ],
          stdin: ['holiday.mp4'],
        },
      ],
      deletions: ['videos/clip.mp4'],
    },
    {
      name: 'a directory renamed: its own run, rooted at the new directory, basis the old one',
      moves: [mv('album', 'Album 2026', true)],
      runs: [
        {
          argv: [
            '--copy-dest=../album',
            '/home/u/data/Album 2026/',
            'rsync://backup@nas:873/mod/mirror/Album 2026/',
          ],
          stdin: ['.'],
        },
      ],
      deletions: ['album'],
    },
    {
      name: 'same-named entries into one parent from several: one run, one copy-dest each, no fuzzy',
      moves: [
        mv('work/project', 'archive/project', true),
        mv('tmp/report.pdf', 'archive/report.pdf'),
        mv('work/x', 'archive/x'),
      ],
      runs: [
        {
          argv: [
            '--copy-dest=../work',
            '--copy-dest=../tmp',
            '/home/u/data/archive/',
            'rsync://backup@nas:873/mod/mirror/archive/',
          ],
          stdin: ['project', 'report.pdf', 'x'],
        },
      ],
      deletions: ['tmp/report.pdf', 'work/project', 'work/x'],
    },
    {
      name: 'a file moved to the folder root from a subfolder; names starting with # are written ./#',
      moves: [mv('a/b/#1', '#1')],
      runs: [
        { argv: ['--copy-dest=a/b', '/home/u/data/', 'rsync://backup@nas:873/mod/mirror/'], stdin: ['./#1'] },
      ],
      deletions: ['a/b/#1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(c.moves);
      expect(p.plain).toEqual([]);
      expect(p.runs.map((run) => ({ argv: basisArgs(run.args), stdin: stdin(run.input) }))).toEqual(c.runs);
      expect([...p.deletions].sort()).toEqual(c.deletions);
    });
  }

  it('keeps the common options of every run and deletes nothing in a run of files', () => {
    const [run] = plan([mv('a/f', 'b/g')]).runs;
    expect(run?.args).toEqual(
      expect.arrayContaining([
        '-a',
        '--modify-window=-1',
        '--recursive',
        '--from0',
        '--files-from=-',
        '--ignore-missing-args',
        '--password-file=/etc/rl.pw',
        '--contimeout=10',
        '--numeric-ids',
        '--exclude=*.tmp',
      ]),
    );
    expect(run?.args.some((a) => a.startsWith('--delete'))).toBe(false);
    expect(run?.args.some((a) => a.includes('password') && !a.startsWith('--password-file'))).toBe(false);
  });

  it('a moved directory is made exact on the target unless an old path of the plan or a kept entry lies around it', () => {
    const sweeps = (run: { args: string[] } | undefined): boolean =>
      run?.args.includes('--delete') === true && run.args.includes('--force');
    // rm -rf cur; mv new cur: the run into cur deletes what the old cur held there.
    const [renamed] = plan([mv('new', 'cur', true)]).runs;
    expect(renamed?.root).toBe('cur');
    expect(sweeps(renamed)).toBe(true);
    const [grouped] = plan([mv('a/photos', 'b/photos', true), mv('a/f', 'b/f')]).runs;
    expect(grouped?.root).toBe('b');
    expect(sweeps(grouped)).toBe(true);
    // Files only: nothing to sweep.
    expect(sweeps(plan([mv('a/f', 'b/f')]).runs[0])).toBe(false);
    // A swap: each directory is the other's basis, so neither run deletes (the runner re-sends both whole).
    const swap = plan([mv('x', 'y', true), mv('y', 'x', true)]).runs;
    expect(swap.map((run) => sweeps(run))).toEqual([false, false]);
    // A new directory inside an old path (b moved into a, which moved to z): a's old copy is z's basis.
    const nested = plan([mv('a', 'z', true), mv('b', 'a/b', true)]).runs;
    expect(nested.map((run) => [run.root, sweeps(run)])).toEqual([
      ['a', false],
      ['z', true],
    ]);
    // Entries the pair keeps in or around it are never deleted; "keep" never deletes.
    expect(sweeps(plan([mv('new', 'cur', true)], { keptPaths: [r('cur/theirs')] }).runs[0])).toBe(false);
    expect(sweeps(plan([mv('new', 'cur', true)], { keptPaths: [r('other')] }).runs[0])).toBe(true);
    expect(sweeps(plan([mv('new', 'cur', true)], { base: { ...base, deletion: 'keep' } }).runs[0])).toBe(
      false,
    );
  });

  it('versions mode: the backup dir is re-rooted so replaced files land in the one versions folder', () => {
    const [run] = plan([mv('a/f', 'b/c/g')], { base: { ...base, deletion: 'versions' } }).runs;
    expect(run?.args).toContain('--backup');
    expect(run?.args).toContain('--backup-dir=../../.rsync-live-versions/2026-12-04/b/c');
  });

  it('re-roots the glob excludes for a run below the folder', () => {
    const [run] = plan([mv('x/private', 'docs/private2', true), mv('old/cache.bin', 'docs/cache.bin')]).runs;
    expect(run?.args.filter((a) => a.startsWith('--exclude'))).toEqual(['--exclude=*.tmp']);
    expect(rerootGlobs(['*.tmp', '/cache', 'docs/private/', 'docs/*.log'], r('docs'))).toEqual([
      '*.tmp',
      '/private/',
      '/*.log',
    ]);
    expect(rerootGlobs(['*/build'], r('docs'))).toBeNull();
    expect(rerootGlobs(['d?cs/x'], r('docs'))).toBeNull();
  });

  it('sends the plain way what no basis can help: excluded old path, regex excludes on a directory, non-UTF-8 names, refused basis', () => {
    const excluded = (rel: RelPath): boolean => rel.startsWith('cache');
    expect(plan([mv('cache/f', 'kept/f')], { isExcluded: excluded })).toEqual({
      runs: [],
      plain: [mv('cache/f', 'kept/f')],
      deletions: [],
    });
    expect(plan([mv('a', 'b', true)], { regexExcludes: true }).plain).toEqual([mv('a', 'b', true)]);
    expect(plan([mv('a/f', 'b/f')], { regexExcludes: true }).runs).toHaveLength(1);
    const odd = { from: r('a/f'), path: relFromBuffer(Buffer.from([0x62, 0x2f, 0xff])), dir: false };
    expect(plan([odd]).plain).toEqual([odd]);
    expect(plan([mv('a/f', 'b/f'), mv('c', 'd', true)], { basisAllowed: false })).toMatchObject({
      runs: [],
      plain: [mv('a/f', 'b/f'), mv('c', 'd', true)],
      deletions: ['a/f', 'c'],
    });
  });

  it('a move out of what is synced (excluded new path, versions folder) is only a deletion', () => {
    const excluded = (rel: RelPath): boolean => rel.endsWith('.tmp');
    expect(
      plan([mv('a/f', 'a/f.tmp'), mv('b', '.rsync-live-versions/x', true)], { isExcluded: excluded }),
    ).toEqual({
      runs: [],
      plain: [],
      deletions: ['a/f', 'b'],
    });
  });

  it('bounds the runs: renamed directories beyond the cap and basis dirs beyond 20 per run', () => {
    const dirs = Array.from({ length: 5 }, (_, i) => mv(`d${i}`, `e${i}`, true));
    const p = plan(dirs, { maxDirRuns: 3 });
    expect(p.runs).toHaveLength(3);
    expect(p.plain).toEqual(dirs.slice(3));
    const files = Array.from({ length: 45 }, (_, i) => mv(`src${i}/f${i}`, `dst/f${i}`));
    const q = plan(files);
    expect(q.runs.map((run) => run.args.filter((a) => a.startsWith('--copy-dest')).length)).toEqual([
      20, 20, 5,
    ]);
    expect(q.runs.flatMap((run) => stdin(run.input))).toHaveLength(45);
  });

  it('orders the runs deepest new path first, so a move into a moved directory lands before that directory run', () => {
    const p = plan([mv('album', 'Album', true), mv('notes/l.txt', 'Album/l.txt'), mv('a/b/c', 'x/y/z/c')]);
    expect(p.runs.map((run) => run.moves.map((m) => m.path))).toEqual([
      ['x/y/z/c'],
      ['Album/l.txt'],
      ['Album'],
    ]);
  });

  it('deletes only the top-most old paths', () => {
    const p = plan([mv('a', 'x', true), mv('a/b/f', 'y/f'), mv('a-b/f', 'y/g')]);
    expect([...p.deletions].sort()).toEqual(['a', 'a-b/f']);
  });

  it('deletionRun is the ordinary path run over the old paths', () => {
    const run = deletionRun(base, [r('a'), r(';b')]);
    expect(run?.args).toContain('--delete-missing-args');
    expect(stdin(run!.input)).toEqual(['a', './;b']);
    expect(deletionRun(base, [])).toBeNull();
  });
});

describe('move run outcome', () => {
  it('tells refused basis options from other failures', () => {
    const refused =
      'rsync: The server is configured to refuse --copy-dest\nrsync error: requested action not supported (code 4)';
    expect(moveRunOutcome({ exitCode: 0, stderr: '' })).toBe('ok');
    expect(moveRunOutcome({ exitCode: 0, stderr: '--copy-dest arg does not exist: /y/../x\n' })).toBe('ok');
    expect(moveRunOutcome({ exitCode: 4, stderr: refused })).toBe('refused');
    expect(
      moveRunOutcome({ exitCode: 10, stderr: 'rsync: read error: Connection reset by peer (104)' }),
    ).toBe('reset');
    expect(moveRunOutcome({ exitCode: 23, stderr: 'rsync: change_dir "/b" failed' })).toBe('failed');
    expect(isBasisRefused('rsync: on remote machine: --fuzzy: unknown option')).toBe(true);
    expect(refusedBasisNote('nas::mod', refused)).toBe(
      'nas::mod refused --copy-dest, so moves in this folder are re-sent in full to it. To move without re-sending, remove copy-dest and fuzzy from the "refuse options" line of that module in the server\'s rsyncd.conf, and run rsync 3.2.3 or later there (see docs/config.md, "Moves").',
    );
  });

  it('relative paths and argv text', () => {
    expect(relativeFrom(r('a/b'), r('c'))).toBe('../../c');
    expect(relativeFrom(r(''), r('c/d'))).toBe('c/d');
    expect(relativeFrom(r('a'), r(''))).toBe('..');
    expect(argText(relFromBuffer(Buffer.from([0xc3, 0xa9])))).toBe('é');
    expect(argText(relFromBuffer(Buffer.from([0xe9])))).toBeNull();
  });
});

describe('runMovePlan', () => {
  const fake = (results: Array<{ exitCode: number; stderr: string }>, plainOk = true) => {
    const log: string[] = [];
    return {
      log,
      runner: {
        run: async () => {
          log.push('run');
          return results.shift() ?? { exitCode: 0, stderr: '' };
        },
        sendPlain: async (moves: readonly Move[]) => {
          log.push(`plain ${moves.map((m) => m.path).join(',')}`);
          return plainOk;
        },
        deleteOld: async (paths: readonly RelPath[]) => {
          log.push(`delete ${paths.join(',')}`);
        },
        note: (line: string) => log.push(`note ${line.split(',')[0]}`),
      },
    };
  };
  const p = () => plan([mv('a/f', 'b/f'), mv('c/g', 'd/g'), mv('x', 'y', true)]);

  it('all runs ok: the deletion comes last', async () => {
    const { log, runner } = fake([]);
    expect(await runMovePlan(p(), runner, 'nas::mod')).toEqual({ complete: true, basisRefused: false });
    expect(log).toEqual(['run', 'run', 'run', 'delete a/f,c/g,x']);
  });

  it('refused: the remaining runs are skipped, all go plain, one note, then the deletion', async () => {
    const { log, runner } = fake([
      { exitCode: 4, stderr: 'rsync: The server is configured to refuse --fuzzy (-y)' },
    ]);
    expect(await runMovePlan(p(), runner, 'nas::mod')).toEqual({ complete: true, basisRefused: true });
    expect(log).toEqual(['run', 'plain b/f,d/g,y', 'note nas::mod refused --fuzzy', 'delete a/f,c/g,x']);
  });

  it('an unexplained reset counts as refused once the plain send works; other failures do not', async () => {
    const reset = { exitCode: 10, stderr: 'rsync: [sender] read error: Connection reset by peer (104)' };
    const a = fake([reset]);
    expect(await runMovePlan(p(), a.runner, 'nas::mod')).toEqual({ complete: true, basisRefused: true });
    expect(a.log).toContain(
      'note nas::mod reset the connection of a move run (its rsyncd log names the option it refused)',
    );
    const b = fake([{ exitCode: 23, stderr: 'rsync: change_dir "/y" failed' }]);
    expect(await runMovePlan(p(), b.runner, 'nas::mod')).toEqual({ complete: true, basisRefused: false });
    expect(b.log).toEqual(['run', 'run', 'run', 'plain b/f', 'delete a/f,c/g,x']);
  });

  it('nothing is deleted when a new path did not arrive', async () => {
    const { log, runner } = fake([{ exitCode: 23, stderr: '' }], false);
    expect(await runMovePlan(p(), runner, 'nas::mod')).toEqual({ complete: false, basisRefused: false });
    expect(log.some((line) => line.startsWith('delete'))).toBe(false);
  });
});

describe('retryIncompleteMoves: an incomplete plan still owes the old paths their deletion', () => {
  const moves = [mv('a/f', 'b/f'), mv('c/g', 'd/g'), mv('x', 'y', true), mv('x/in', 'z/in')];
  const upsert = (path: string, dir = false) => ({ path: r(path), change: 'upsert' as const, dir });
  const del = (path: string, dir = false) => ({ path: r(path), change: 'delete' as const, dir });

  it('the cause of issue 10 (inotify never converged): without it a failed plain send lost every old path', () => {
    // The plain send of b/f failed (vanished, rechecked: b/f exists, y is gone again): before the fix the
    // retry was this list alone, and a/f, c/g and x stayed on the target for good.
    const retry = retryIncompleteMoves(plan(moves), moves, [upsert('b/f'), del('y', true)]);
    expect(retry).toEqual([
      { ...upsert('b/f'), from: r('a/f') },
      { ...del('y', true), from: r('x') },
      // d/g arrived (a basis run) but its old path was never deleted: a deletion of its own.
      del('c/g'),
    ]);
  });

  it('a new path retried under an old name (a swap) is re-sent whole instead of deleted', () => {
    const swap = [mv('p', 'q', true), mv('q', 'p', true)];
    const retry = retryIncompleteMoves(plan(swap), swap, [upsert('p', true), upsert('q', true)]);
    expect(retry).toEqual([
      { path: r('p'), change: 'tree', dir: true },
      { path: r('q'), change: 'tree', dir: true },
    ]);
  });

  it('old paths below another owed one or excluded are not listed again', () => {
    const nested = [mv('x', 'y', true), mv('x/in/f', 'w/f'), mv('cache/f', 'k/f')];
    const planned = plan(nested, { isExcluded: (p) => p.startsWith('cache') });
    expect(retryIncompleteMoves(planned, nested, [])).toEqual([del('x', true)]);
  });
});
