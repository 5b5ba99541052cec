// One rsync run, planned and read back, without I/O: what a job becomes (argv, the NUL-separated list on
// stdin, the contents of a rules file) and what rsync's exit status and stderr say about it (ok or which
// failure, which files to retry, how many deletions --max-delete held back, how many files vanished).
import type { DeletionPolicy, RsyncOptions } from '../shared/config.js';
import { ancestors, type RelPath } from './byte-path.js';
import { literalRsyncPattern } from './excludes.js';
import type { PathChange } from './path-change.js';
import { buildArgs, encodeFileList, encodeRules, type JobKind } from './rsync/command.js';
import { classifyFailure, type Classified } from './rsync/exit-codes.js';
import { failedPaths, onlyChangedWhileSent } from './rsync/failed-paths.js';
import type { ServerCapabilities } from './rsync/server-capabilities.js';
import type { Target } from './rsync/target.js';

/**
 * What one rsync process does: a flat list, directories sent recursively (replaced ones: tree; new ones, nothing
 * deleted: subtree), or the folder.
 */
export type RunSpec =
  { kind: 'paths' | 'tree' | 'subtree'; changes: PathChange[] } | { kind: 'full'; reason: string };

export interface PlanContext {
  folder: string;
  target: Target;
  deletion: DeletionPolicy;
  options: RsyncOptions;
  passwordFile: string | null;
  /** Glob excludes in rsync syntax (plus the scheduled full sync's own, when it is one). */
  excludeGlobs: readonly string[];
  /** Paths the regex excludes reject, top-most only (full and tree syncs pass them as literal rules). */
  excludedPaths: readonly RelPath[];
  /** Entries on the target this pair keeps (it found them there and the user chose to keep them). */
  keptPaths: readonly RelPath[];
  today: string;
  /** Full syncs: --max-delete (0 = delete nothing, report what would go); null = no limit. */
  maxDelete: number | null;
  /** List what would change, change nothing. */
  dryRun?: boolean;
  /** What the target's server accepts (probeCapabilities); default: a current server. */
  capabilities?: ServerCapabilities;
}

export interface RunPlan {
  args: string[];
  /** stdin: the file list (paths, tree) or literal exclude rules (full). */
  input: Buffer | null;
  /** Contents for a private rules file passed with --filter=merge (tree syncs' excludes, kept entries). */
  rulesFile: Buffer | null;
  /** Where the rules file's path goes in args (the runner writes the file and fills it in). */
  rulesFileArg: number | null;
  /** Paths listed on stdin. */
  listed: number;
  /** rsync names each file it sends (itemized lines, progress); false: only its totals (reportsEachFile). */
  eachFile: boolean;
}

/**
 * From this many files on, a run that only sends (new directories, or listed files with no deletion or move
 * among them) reports rsync's totals instead of a line per file: a burst of 20,000 small files then costs ~0.3
 * CPU-s less (rsync's output and our reading of it, docs/benchmarks.md), and nobody reads 20,000 names.
 */
export const BULK_RUN_FILES = 1_000;

/**
 * Whether a run reports each file it sends. Runs that delete or move keep their lines (deletions are named in
 * Activity, a full sync's listing and the guard rely on them); so do small runs, whose names Activity shows.
 * A subtree run counts the entries the coalescer saw settle below its directories (PathChange.covers).
 */
export function reportsEachFile(spec: RunSpec): boolean {
  if (spec.kind === 'subtree') {
    let files = 0;
    for (const change of spec.changes) files += change.covers ?? 1;
    return files < BULK_RUN_FILES;
  }
  if (spec.kind === 'paths') {
    if (spec.changes.length < BULK_RUN_FILES) return true;
    return spec.changes.some((c) => c.change !== 'upsert' || c.from !== undefined);
  }
  return true;
}

export const RULES_FILE_PLACEHOLDER = '\u0000rules-file';

export function planRun(spec: RunSpec, ctx: PlanContext): RunPlan {
  // Rules: excluded paths never travel (and are never deleted), kept entries are protected from deletion.
  // A subtree run deletes nothing: protect rules would be moot there.
  const rules = [
    ...ctx.excludedPaths.map((rel) => `- ${literalRsyncPattern(rel)}`),
    ...(spec.kind === 'subtree' ? [] : ctx.keptPaths.map((rel) => `P ${literalRsyncPattern(rel)}`)),
  ];
  let input: Buffer | null = null;
  let listed = 0;
  if (spec.kind !== 'full') {
    const paths = spec.kind === 'paths' ? collapse(spec.changes) : spec.changes.map((c) => c.path);
    listed = paths.length;
    input = encodeFileList(paths);
  }
  const useRulesFile = rules.length > 0 && spec.kind !== 'paths';
  const eachFile = ctx.dryRun === true || reportsEachFile(spec);
  const args = buildArgs({
    kind: spec.kind as JobKind,
    folder: ctx.folder,
    target: ctx.target,
    deletion: ctx.deletion,
    options: ctx.options,
    passwordFile: ctx.passwordFile,
    excludeGlobs: ctx.excludeGlobs,
    maxDelete: spec.kind === 'full' ? ctx.maxDelete : null,
    today: ctx.today,
    ...(ctx.capabilities ? { capabilities: ctx.capabilities } : {}),
    ...(useRulesFile ? { filterFile: RULES_FILE_PLACEHOLDER } : {}),
    eachFile,
  });
  if (ctx.dryRun) args.unshift('--dry-run');
  return {
    args,
    input,
    rulesFile: useRulesFile ? encodeRules(rules) : null,
    rulesFileArg: useRulesFile ? args.findIndex((a) => a.includes(RULES_FILE_PLACEHOLDER)) : null,
    listed,
    eachFile,
  };
}

/** The file list for a run: deletions below a deleted directory are covered by it and left out. */
export function collapse(changes: readonly PathChange[]): RelPath[] {
  const deletedDirs = new Set<RelPath>();
  for (const change of changes) if (change.change === 'delete') deletedDirs.add(change.path);
  const paths: RelPath[] = [];
  for (const change of changes) {
    let covered = false;
    if (deletedDirs.size > 0 && change.change === 'delete') {
      for (const dir of ancestors(change.path)) {
        if (deletedDirs.has(dir)) {
          covered = true;
          break;
        }
      }
    }
    if (!covered) paths.push(change.path);
  }
  return paths;
}

export interface RunResultLike {
  exitCode: number | null;
  stderr: string;
  spawnError?: string;
}

export interface RunReading {
  ok: boolean;
  error: Classified | null;
  /** Some files failed (unreadable…) while the rest was sent: retried later, in the background. */
  partial: boolean;
  /** Deletions --max-delete held back (rsync's "N skipped"), null when it held none back. */
  deletionsSkipped: number | null;
  /** Files that vanished while being sent. */
  vanished: number;
  /** The paths rsync named as failed (exit 23/24), when it named each one; null otherwise. */
  failed: RelPath[] | null;
  /** Every file rsync named as failed vanished or changed while it was sent (exit 23/24): sent again at once. */
  changedWhileSent: boolean;
}

const DELETIONS_STOPPED = /Deletions stopped due to --max-delete limit(?: \((\d+) skipped\))?/;
const VANISHED_LINE = /^file has vanished: /gm;

export function readOutcome(
  result: RunResultLike,
  ctx: { folder: string; label: string; user: string | null },
): RunReading {
  const stopped = DELETIONS_STOPPED.exec(result.stderr);
  const deletionsSkipped = stopped ? Number(stopped[1] ?? 1) || 1 : null;
  const vanished = result.stderr.match(VANISHED_LINE)?.length ?? 0;
  const ok = result.exitCode === 0 || (stopped !== null && result.exitCode === 25);
  const error = ok
    ? null
    : classifyFailure({
        target: ctx.label,
        user: ctx.user,
        exitCode: result.exitCode,
        stderr: result.stderr,
        ...(result.spawnError ? { spawnError: result.spawnError } : {}),
      });
  const partial =
    !ok && result.exitCode === 23 && (error?.kind === 'permission-denied' || error?.kind === 'partial');
  const failed =
    !ok && (result.exitCode === 23 || result.exitCode === 24) ? failedPaths(result.stderr, ctx.folder) : null;
  const changedWhileSent = failed !== null && onlyChangedWhileSent(result.stderr);
  return { ok, error, partial, deletionsSkipped, vanished, failed, changedWhileSent };
}
