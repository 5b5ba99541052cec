// Plans the rsync runs that carry moves inside a folder to a target without re-sending the moved data. An rsync
// daemon has no rename, so each new path is created by an ordinary upload whose basis is the old copy still on
// the target (--copy-dest for names kept, --fuzzy --fuzzy for renamed files), and a moved directory is made
// exact there (what an old copy under the new name held goes); the old paths are deleted only after every new
// path is complete. Pure: moves in, argv + stdin out; running them and reading their outcome
// is the caller's (see docs/architecture.md, "Moves").
import { baseName, display, isWithin, parentOf, toBuffer, topMost, type RelPath } from '../byte-path.js';
import type { PathChange } from '../path-change.js';
import { buildArgs, encodeFileList, VERSIONS_DIR, type CommandSpec, type MoveBasis } from './command.js';
import type { Target } from './target.js';

/** One move as the event source reports it, rename chains already collapsed to from → to. */
export interface Move {
  from: RelPath;
  path: RelPath;
  dir: boolean;
}

/** Everything a run needs but the moves: the same fields the engine gives buildArgs for its path runs. */
export type MoveRunBase = Omit<CommandSpec, 'kind' | 'basis' | 'maxDelete' | 'filterFile'>;

export interface PlanMovesInput {
  moves: readonly Move[];
  base: MoveRunBase;
  /** The pair's exclude matcher (compileExcludes): an excluded new path is not sent, an excluded old path was never on the target. */
  isExcluded: (rel: RelPath) => boolean;
  /** The pair has regex excludes: rsync cannot apply them below another root, so such moves go the plain way. */
  regexExcludes: boolean;
  /** false once the target refused the basis options (see isBasisRefused): every move goes the plain way. */
  basisAllowed: boolean;
  /** Cap on runs for renamed directories (one run each); the rest go the plain way. Default 32. */
  maxDirRuns?: number;
  /** Entries on the target the pair keeps (protected from deletion): no run deletes in or around them. */
  keptPaths?: readonly RelPath[];
}

/** One rsync run that creates new paths from old data. Run them in the order given (deepest new paths first). */
export interface MoveRun {
  args: string[];
  /** NUL-separated names relative to the run's source directory, for rsync's stdin. */
  input: Buffer;
  /** The moves this run completes. */
  moves: Move[];
  /** The run's destination directory, folder-relative: the names rsync prints are relative to it. */
  root: RelPath;
}

export interface MovePlan {
  runs: MoveRun[];
  /** New paths to send the ordinary way (files: a 'paths' run, directories: a 'tree' run): no basis possible. */
  plain: Move[];
  /**
   * Old paths to delete once every run and plain send above succeeded: the ordinary 'paths' run (with
   * --delete-missing-args; an old path that exists again in the folder is simply sent). Top-most only.
   */
  deletions: RelPath[];
}

/**
 * The ordinary path run that deletes the old paths (--delete-missing-args; 'keep' deletes nothing, 'versions'
 * moves them into the versions folder). The engine may instead hand plan.deletions to its own path runs (and
 * its delete guard): the argv is the same.
 */
export function deletionRun(base: MoveRunBase, deletions: readonly RelPath[]): MoveRun | null {
  if (deletions.length === 0) return null;
  return {
    args: buildArgs({ ...base, kind: 'paths' }),
    input: encodeFileList(deletions),
    moves: [],
    root: '' as RelPath,
  };
}

/** rsync's limit on --copy-dest/--link-dest/--compare-dest directories in one run. */
const MAX_BASIS_DIRS = 20;
const DEFAULT_MAX_DIR_RUNS = 32;

export function planMoves(input: PlanMovesInput): MovePlan {
  const runs: MoveRun[] = [];
  const plain: Move[] = [];
  const deletions: RelPath[] = [];
  const groups = new Map<RelPath, Move[]>(); // new parent → moves that keep their name or are files
  const renamedDirs: Move[] = [];
  for (const move of input.moves) {
    if (move.from === move.path || isWithin(move.path, move.from) || isWithin(move.from, move.path)) {
      plain.push(move); // not a move rsync can express (into itself / out of itself)
      if (move.from !== move.path && !isWithin(move.path, move.from)) deletions.push(move.from);
      continue;
    }
    if (!input.isExcluded(move.from)) deletions.push(move.from);
    if (input.isExcluded(move.path) || isVersionsPath(move.path)) continue; // a move out of what is synced
    if (
      !input.basisAllowed ||
      input.isExcluded(move.from) ||
      (move.dir && input.regexExcludes) ||
      argText(move.path) === null ||
      argText(move.from) === null
    ) {
      plain.push(move);
      continue;
    }
    if (move.dir && baseName(move.from) !== baseName(move.path)) {
      renamedDirs.push(move);
      continue;
    }
    const parent = parentOf(move.path);
    const list = groups.get(parent);
    if (list) list.push(move);
    else groups.set(parent, [move]);
  }

  const maxDirRuns = input.maxDirRuns ?? DEFAULT_MAX_DIR_RUNS;
  for (const [i, move] of renamedDirs.entries()) {
    const run = i < maxDirRuns ? dirRun(input, move) : null;
    if (run) runs.push(run);
    else plain.push(move);
  }
  for (const [parent, moves] of groups) {
    for (const chunk of chunkByBasisDirs(moves)) {
      const run = groupRun(input, parent, chunk);
      if (run) runs.push(run);
      else plain.push(...chunk);
    }
  }
  // Deepest new paths first: a move into a moved directory is in place (found by name) before the run of the
  // enclosing directory, which then skips it by the quick check instead of sending it without a basis.
  const depth = (run: MoveRun): number => Math.max(...run.moves.map((m) => m.path.split('/').length));
  runs.sort((a, b) => depth(b) - depth(a));
  return { runs, plain, deletions: topMost([...new Set(deletions)]) };
}

/** A renamed directory: the run's destination is the new directory itself, its basis the old one. */
function dirRun(input: PlanMovesInput, move: Move): MoveRun | null {
  const destDir = move.path;
  const globs = rerootGlobs(input.base.excludeGlobs, destDir);
  if (globs === null) return null;
  const basis: MoveBasis = {
    copyDest: [relativeFrom(destDir, move.from)],
    fuzzy: false,
    destDir: argText(destDir) as string,
    exact: sweepsOldEntries(input, [move]),
  };
  return makeRun(input, destDir, basis, globs, ['.' as RelPath], [move]);
}

/** Files and same-named directories landing in one parent: basis = their old parents (and renamed files by size+mtime). */
function groupRun(input: PlanMovesInput, parent: RelPath, moves: Move[]): MoveRun | null {
  const globs = rerootGlobs(input.base.excludeGlobs, parent);
  if (globs === null) return null;
  const oldParents = [...new Set(moves.map((m) => parentOf(m.from)))].filter((p) => p !== parent);
  const basis: MoveBasis = {
    copyDest: oldParents.map((p) => relativeFrom(parent, p)),
    // Level 1 finds a file renamed in place in the destination directory, level 2 one moved from a copy-dest one.
    fuzzy: moves.some((m) => !m.dir && baseName(m.from) !== baseName(m.path)),
    destDir: argText(parent) as string,
    exact: sweepsOldEntries(input, moves),
  };
  const names = moves.map((m) => baseName(m.path) as RelPath);
  return makeRun(input, parent, basis, globs, names, moves);
}

function makeRun(
  input: PlanMovesInput,
  destDir: RelPath,
  basis: MoveBasis,
  excludeGlobs: string[],
  names: RelPath[],
  moves: Move[],
): MoveRun {
  const { base } = input;
  const sub = argText(destDir) as string;
  const folder = sub === '' ? base.folder : `${base.folder.replace(/\/+$/, '')}/${sub}`;
  const args = buildArgs({
    ...base,
    kind: 'move',
    folder,
    target: targetBelow(base.target, sub),
    excludeGlobs,
    basis,
  });
  return { args, input: encodeFileList(names), moves, root: destDir };
}

/**
 * Whether a run moving `moves` also deletes what their directories already hold on the target: a directory
 * moved onto a name whose old copy is still there (`rm -rf cur; mv new cur` in one window, or an old copy whose
 * deletion a failed run still owes) must not keep the old entries beside the new ones. Not when an old path of
 * this plan lies in, at or around one of those directories (another run may still need it as its basis: in a
 * swap the target runner re-sends those directories whole once every run is done), not around entries the
 * pair keeps, and never in "keep" mode.
 */
function sweepsOldEntries(input: PlanMovesInput, moves: readonly Move[]): boolean {
  if (input.base.deletion === 'keep') return false;
  const dirs = moves.filter((m) => m.dir).map((m) => m.path);
  if (dirs.length === 0) return false;
  const near = (path: RelPath): boolean =>
    dirs.some((dir) => dir === path || isWithin(path, dir) || isWithin(dir, path));
  return !input.moves.some((m) => near(m.from)) && !(input.keptPaths ?? []).some(near);
}

/** Splits a group so no run names more than rsync's 20 basis directories. */
function chunkByBasisDirs(moves: Move[]): Move[][] {
  const chunks: Move[][] = [];
  let current: Move[] = [];
  let dirs = new Set<RelPath>();
  for (const move of moves) {
    const dir = parentOf(move.from);
    if (!dirs.has(dir) && dirs.size >= MAX_BASIS_DIRS) {
      chunks.push(current);
      current = [];
      dirs = new Set();
    }
    dirs.add(dir);
    current.push(move);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** `to` seen from `from` (both folder-relative directories), as rsync resolves an alternate destination. */
export function relativeFrom(fromDir: RelPath, to: RelPath): string {
  const up = fromDir === '' ? 0 : fromDir.split('/').length;
  const text = argText(to) as string;
  return `${'../'.repeat(up)}${text}`.replace(/\/$/, '') || '.';
}

/** The target with `sub` appended to its path: the destination of a run rooted at folder/sub. */
export function targetBelow(target: Target, sub: string): Target {
  if (sub === '') return target;
  switch (target.kind) {
    case 'local':
      return { ...target, path: target.path === '/' ? `/${sub}` : `${target.path}/${sub}` };
    case 'ssh':
      return {
        ...target,
        path: target.path === '' ? sub : `${target.path.replace(/\/+$/, '')}/${sub}`,
      };
    case 'daemon':
      return { ...target, path: target.path === '' ? sub : `${target.path}/${sub}` };
  }
}

/**
 * A folder-relative path as argv text, or null when it is not valid UTF-8 (argv strings cannot carry such
 * bytes: those moves go the plain way, whose names travel on stdin).
 */
export function argText(rel: RelPath): string | null {
  const text = display(rel);
  return toBuffer(rel).equals(Buffer.from(text, 'utf8')) ? text : null;
}

/**
 * The pair's glob excludes for a run rooted at `root` instead of the folder, or null when a rule cannot be
 * re-rooted exactly (a wildcard in the part that would have to match `root`). Globs without "/" match at any
 * depth and stay; anchored ones that lie below `root` lose that prefix; anchored ones elsewhere are dropped.
 */
export function rerootGlobs(globs: readonly string[], root: RelPath): string[] | null {
  if (root === '') return [...globs];
  const rootParts = display(root).split('/');
  const out: string[] = [];
  for (const glob of globs) {
    const trimmed = glob.replace(/\/+$/, '');
    const dirOnly = trimmed.length !== glob.length ? '/' : '';
    if (!trimmed.includes('/')) {
      out.push(glob);
      continue;
    }
    const parts = trimmed.replace(/^\/+/, '').split('/');
    let i = 0;
    let elsewhere = false;
    for (; i < rootParts.length && i < parts.length; i++) {
      const part = parts[i] as string;
      if (/[*?[\]{}!\\]/.test(part)) return null;
      if (part !== rootParts[i]) {
        elsewhere = true;
        break;
      }
    }
    if (elsewhere) continue;
    // Shorter than root: it names root or an ancestor, which the caller's isExcluded already judged.
    if (i < parts.length) out.push(`/${parts.slice(i).join('/')}${dirOnly}`);
  }
  return out;
}

/**
 * The run's outcome:
 * - `ok`: its moves are complete on the target (a missing basis only warns; rsync then sent the data plainly).
 * - `refused`: the server named a basis option it refuses (rsync ≥ 3.2 daemons: exit 4, "The server is
 *   configured to refuse --copy-dest"). Send this run's moves the plain way, plan later moves with
 *   basisAllowed: false, and log refusedBasisNote once.
 * - `reset`: the connection was reset without a reason (exit 10/12). rsync 3.1.x daemons answer a refused or
 *   unknown option (--copy-dest, --fuzzy, --mkpath before 3.2.3) that way, and so does a network failure. Send
 *   the moves the plain way; if that ordinary run succeeds, the server did refuse: treat it as `refused`.
 * - `failed`: anything else (a vanished source, a full disk): send the moves the plain way too; the ordinary
 *   runs classify and retry that error.
 */
export function moveRunOutcome(result: {
  exitCode: number | null;
  stderr: string;
}): 'ok' | 'refused' | 'reset' | 'failed' {
  if (result.exitCode === 0) return 'ok';
  if (isBasisRefused(result.stderr)) return 'refused';
  if ((result.exitCode === 10 || result.exitCode === 12) && /Connection reset by peer/i.test(result.stderr)) {
    return 'reset';
  }
  return 'failed';
}

const BASIS_OPTION = /(copy-dest|link-dest|compare-dest|fuzzy)/i;

/** stderr says the server refused (or does not know) --copy-dest / --fuzzy. */
export function isBasisRefused(stderr: string): boolean {
  return stderr
    .split('\n')
    .some((line) => /refuse|unknown option|not supported/i.test(line) && BASIS_OPTION.test(line));
}

/** The log line for a target that refused the move runs (once per target); stderr '' after a bare reset. */
export function refusedBasisNote(targetText: string, stderr: string): string {
  const option = BASIS_OPTION.exec(stderr)?.[1]?.toLowerCase();
  const what = option
    ? `${targetText} refused --${option}`
    : `${targetText} reset the connection of a move run (its rsyncd log names the option it refused)`;
  return (
    `${what}, so moves in this folder are re-sent in full to it. To move without re-sending, remove ` +
    `copy-dest and fuzzy from the "refuse options" line of that module in the server's rsyncd.conf, and run ` +
    `rsync 3.2.3 or later there (see docs/config.md, "Moves").`
  );
}

/** What runMovePlan needs from the per-target runner. */
export interface MoveRunner {
  /** One rsync run with the target's password (runRsync with the runner's rsync binary and environment). */
  run(run: MoveRun): Promise<{ exitCode: number | null; stderr: string }>;
  /** Sends moves the ordinary way (files: a 'paths' run, directories: a 'tree' run); true when they arrived. */
  sendPlain(moves: readonly Move[]): Promise<boolean>;
  /** Deletes the old paths the ordinary way (the delete guard's path); called only when all else arrived. */
  deleteOld(paths: readonly RelPath[]): Promise<void>;
  /** One log line for the pair/target. */
  note(line: string): void;
}

export interface MovePlanResult {
  /** Every new path arrived and the deletion of the old paths was handed over. */
  complete: boolean;
  /** The target refused the basis options: plan its later moves with basisAllowed: false. */
  basisRefused: boolean;
}

/**
 * Carries out a plan: the runs, the plain sends (planned ones and those of runs that did not succeed), then
 * the deletion of the old paths — only when every new path arrived, so the target never lacks the moved data.
 * When a run is refused (or reset and the plain send then works), the note is logged once and basisRefused set.
 */
export async function runMovePlan(
  plan: MovePlan,
  runner: MoveRunner,
  targetText: string,
): Promise<MovePlanResult> {
  const plain = [...plan.plain];
  let refusedStderr: string | null = null;
  let resetMoves: Move[] = [];
  for (const run of plan.runs) {
    if (refusedStderr !== null) {
      plain.push(...run.moves); // the remaining runs would be refused too
      continue;
    }
    const result = await runner.run(run);
    const outcome = moveRunOutcome(result);
    if (outcome === 'ok') continue;
    plain.push(...run.moves);
    if (outcome === 'refused') refusedStderr = result.stderr;
    if (outcome === 'reset') resetMoves = resetMoves.concat(run.moves);
  }
  const arrived = plain.length === 0 || (await runner.sendPlain(plain));
  if (refusedStderr === null && resetMoves.length > 0 && arrived) refusedStderr = '';
  if (refusedStderr !== null) runner.note(refusedBasisNote(targetText, refusedStderr));
  if (!arrived) return { complete: false, basisRefused: refusedStderr !== null };
  if (plan.deletions.length > 0) await runner.deleteOld(plan.deletions);
  return { complete: true, basisRefused: refusedStderr !== null };
}

function isVersionsPath(rel: RelPath): boolean {
  return isWithin(rel, VERSIONS_DIR as RelPath);
}

/**
 * What to retry after a plan that did not complete (a plain send failed, e.g. a new path moved or deleted again
 * while it was sent): the failed send's retry list, plus the old paths' deletions the plan still owes. Without
 * them the old copies stayed on the target for good (until a full sync found them, in a reorganisation often
 * enough of them to trip the delete guard). An old path travels as `from` on the retry of its new path (the
 * target runner deletes it in the same run, or sends what stands there again); when the new path is not
 * retried (it arrived, or it is gone and the retry deletes an ancestor), as a deletion of its own.
 */
export function retryIncompleteMoves(
  plan: Pick<MovePlan, 'deletions'>,
  moves: readonly Move[],
  retry: readonly PathChange[],
): PathChange[] {
  const out = new Map<RelPath, PathChange>(retry.map((change) => [change.path, change]));
  // A moved directory's new path holds nothing on the target yet: it is sent whole (a recheck says upsert).
  for (const move of moves) {
    const change = out.get(move.path);
    if (move.dir && change?.change === 'upsert' && change.dir)
      out.set(move.path, { ...change, change: 'tree' });
  }
  const owed = new Set(plan.deletions);
  for (const move of moves) {
    if (!owed.has(move.from) || out.has(move.from)) continue; // below another owed path, excluded, or re-sent
    const change = out.get(move.path);
    if (!change || change.from !== undefined || isWithin(move.from, move.path)) continue;
    out.set(move.path, { ...change, from: move.from });
    owed.delete(move.from);
  }
  const dirs = new Set(moves.filter((m) => m.dir).map((m) => m.from));
  for (const from of owed) {
    const pending = out.get(from);
    // Something is retried under the old name itself (another move's new path): sent whole, it replaces the
    // old copy there.
    if (!pending) out.set(from, { path: from, change: 'delete', dir: dirs.has(from) });
    else if (pending.change === 'upsert' && pending.dir) out.set(from, { ...pending, change: 'tree' });
  }
  return [...out.values()];
}
