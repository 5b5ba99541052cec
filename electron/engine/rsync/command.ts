// Builds rsync's argv and the NUL-separated file list for one run. Pure: no I/O, no secrets (a password
// reaches rsync through a 0600 file named here or through RSYNC_PASSWORD in its environment, set by the runner).
import type { DeletionPolicy, RsyncOptions } from '../../shared/config.js';
import { toBuffer, type RelPath } from '../byte-path.js';
import { rsyncExcludeArgs } from '../excludes.js';
import { FULL_CAPABILITIES, type ServerCapabilities } from './server-capabilities.js';
import { destinationArg, type Target } from './target.js';

export const OUT_MARKER = 'RL>';
/**
 * Itemized changes, the file's size and the name last (names may hold "|"; rsync escapes control bytes as
 * \#ooo). Without %b rsync prints the line before it sends the file (its log_before_transfer), so the progress
 * names the file being sent; a file is done once the next line comes or the run ends well.
 */
export const OUT_FORMAT = `${OUT_MARKER}%i|%l|%n`;
export const MOVE_OUT_MARKER = 'RM>';
/**
 * Move runs: also the bytes rsync moved on the wire (%b, which makes rsync print the line after the file): a
 * move creates files from old copies on the target, so their sizes are not what was sent.
 */
export const MOVE_OUT_FORMAT = `${MOVE_OUT_MARKER}%i|%l|%b|%n`;
/** Kept on the target in "versions" mode, and never synced or deleted itself. */
export const VERSIONS_DIR = '.rsync-live-versions';

/**
 * paths: listed entries only; tree: listed directories recursively (replaced ones); subtree: listed new
 * directories recursively, nothing deleted (fresh-dirs.ts); full: the folder; move: moved entries created from
 * the target's old copies (see move-plan.ts), deleting only inside moved directories.
 */
export type JobKind = 'paths' | 'tree' | 'subtree' | 'full' | 'move';

/** A 'move' run: where rsync finds the old data on the target, relative to the run's destination directory. */
export interface MoveBasis {
  /** --copy-dest directories ("../a"), at most 20 (rsync's limit). */
  copyDest: readonly string[];
  /** -yy: also look for a same size+mtime file (a renamed one) in the destination and copy-dest directories. */
  fuzzy: boolean;
  /** The run's destination directory below the target's root ('' = the root), in "/"-separated text. */
  destDir: string;
  /**
   * Also delete what the listed directories already hold on the target that the folder's don't (--delete
   * inside them): see move-plan.ts, sweepsOldEntries.
   */
  exact?: boolean;
}

export interface CommandSpec {
  kind: JobKind;
  /** Absolute folder path (text). */
  folder: string;
  target: Target;
  deletion: DeletionPolicy;
  options: RsyncOptions;
  passwordFile: string | null;
  /** Glob excludes (rsync semantics), used by full syncs. */
  excludeGlobs: readonly string[];
  /**
   * Full and tree syncs: a private file of NUL-separated filter rules (literal excludes for regex excludes,
   * protect rules for entries the pair keeps), passed with --filter=merge.
   */
  filterFile?: string | null;
  /** Date stamp for the versions folder (YYYY-MM-DD). */
  today: string;
  /** Full syncs: --max-delete (0 = report, delete nothing); null = no limit. */
  maxDelete?: number | null;
  /** Move runs: the basis options; `folder` and `target` are then already the run's source and destination. */
  basis?: MoveBasis;
  /** What the target's server accepts (probeCapabilities); default: a current server. */
  capabilities?: ServerCapabilities;
  /**
   * false: rsync reports only its totals (--info=stats2: files sent, their size, entries deleted) instead of a
   * line per file and per-file progress (bulk runs, see run-plan.ts: reportsEachFile). Default true.
   */
  eachFile?: boolean;
}

/**
 * How listed paths are compared: by content, never by rsync's quick check (a same-size rewrite within the same
 * second would be skipped). --ignore-times sends every listed file again (as a delta); with versions that
 * would move an unchanged file aside again, over the day's older copy, so versions compare checksums instead.
 */
function contentCheck(deletion: DeletionPolicy): string {
  return deletion === 'versions' ? '--checksum' : '--ignore-times';
}

/**
 * Short runs to a daemon (listed paths, moves) go without rsync's --timeout: a daemon given one sends
 * MSG_IO_TIMEOUT as a separate small write right after the protocol set-up, and on a server socket without
 * TCP_NODELAY Nagle holds it until the client's delayed ACK, ~40 ms per run (docs/benchmarks.md). The runner's
 * stall watchdog (./stall-watchdog.ts, RunRequest.stall) stops such a run after the same time without data
 * instead. Full and tree runs keep --timeout: they are long anyway, and rsync's keepalives cover a server that
 * is busy comparing a large tree without sending anything.
 */
export function watchdogReplacesTimeout(spec: Pick<CommandSpec, 'kind' | 'target'>): boolean {
  return spec.target.kind === 'daemon' && (spec.kind === 'paths' || spec.kind === 'move');
}

export function buildArgs(spec: CommandSpec): string[] {
  const { target, options, deletion } = spec;
  const caps = spec.capabilities ?? FULL_CAPABILITIES;
  // A line per file (named before it is sent) and progress2 (a line at the end of every file, rewritten as a
  // large one is sent) cost the rsync client and us ~0.3 CPU-s per 20,000 small files (docs/benchmarks.md):
  // bulk runs ask for the totals instead, printed once at the end ("--no-human-readable": plain digits).
  const report =
    spec.eachFile === false
      ? ['--info=stats2']
      : [`--out-format=${spec.kind === 'move' ? MOVE_OUT_FORMAT : OUT_FORMAT}`, '--info=progress2'];
  // --modify-window=-1: compare modification times to the nanosecond, so the quick check of full and tree
  // syncs does not skip a same-size rewrite made within the same second as the previous sync. rsync 3.1.2
  // refuses it: there the engine re-sends recently changed files by content after a full sync instead.
  const args = [
    '-a',
    caps.modifyWindowNs ? '--modify-window=-1' : '--modify-window=0',
    '--no-human-readable',
    ...report,
  ];
  if (spec.kind === 'paths') {
    // Listed files did change: rsync's quick check (size + whole-second mtime) would skip a same-size rewrite
    // within the same second, so compare by content (the delta algorithm keeps the wire cost low).
    args.push(contentCheck(deletion), '--from0', '--files-from=-');
    args.push(deletion === 'keep' ? '--ignore-missing-args' : '--delete-missing-args');
    if (deletion !== 'keep') args.push('--force');
  } else if (spec.kind === 'tree') {
    // Replaced directories: everything below them is re-sent and what no longer exists is deleted.
    args.push('--recursive', contentCheck(deletion), '--from0', '--files-from=-');
    if (deletion !== 'keep') args.push('--delete', '--force');
    args.push(...rsyncExcludeArgs(spec.excludeGlobs));
    if (spec.filterFile) args.push(`--filter=merge ${spec.filterFile}`);
  } else if (spec.kind === 'subtree') {
    // New directories: the target holds nothing of them yet, or only what an earlier run sent, which the quick
    // check at nanosecond precision skips (rsync 3.1.2, without it, compares by content). Nothing is deleted:
    // deletions travel as paths, through the delete guard. A directory gone meanwhile is left to its deletion.
    args.push('--recursive', '--from0', '--files-from=-', '--ignore-missing-args');
    if (!caps.modifyWindowNs) args.push(contentCheck(deletion));
    args.push(...rsyncExcludeArgs(spec.excludeGlobs));
    if (spec.filterFile) args.push(`--filter=merge ${spec.filterFile}`);
  } else if (spec.kind === 'move') {
    // Listed names (files, and directories with their subtree), each created from the old copy named by the
    // basis options; a name gone from the folder meanwhile is left to the ordinary path runs. Deletes only
    // inside the listed directories, and only when the plan says they are nobody's basis (exact).
    args.push('--recursive', '--from0', '--files-from=-', '--ignore-missing-args');
    if (spec.basis?.exact && deletion !== 'keep') args.push('--delete', '--force');
    args.push(...(spec.basis?.copyDest ?? []).map((dir) => `--copy-dest=${dir}`));
    if (spec.basis?.fuzzy) args.push('--fuzzy', '--fuzzy');
    args.push(...rsyncExcludeArgs(spec.excludeGlobs));
  } else {
    if (deletion !== 'keep') args.push('--delete', '--force');
    if (deletion !== 'keep' && spec.maxDelete !== undefined && spec.maxDelete !== null) {
      args.push(`--max-delete=${spec.maxDelete}`);
    }
    args.push(...rsyncExcludeArgs(spec.excludeGlobs));
    if (spec.filterFile) args.push('--from0', `--filter=merge ${spec.filterFile}`);
  }
  if (deletion === 'versions') {
    // --backup-dir is relative to the destination directory: a move run's destination lies deeper.
    const destDir = spec.basis?.destDir ?? '';
    const up = destDir === '' ? '' : '../'.repeat(destDir.split('/').length);
    const below = destDir === '' ? '' : `/${destDir}`;
    args.push('--backup', `--backup-dir=${up}${VERSIONS_DIR}/${spec.today}${below}`);
    if (destDir === '') args.push(`--exclude=/${VERSIONS_DIR}`);
  }
  if (target.kind === 'daemon') {
    args.push('--sockopts=TCP_NODELAY');
    if (options.contimeoutSec > 0) args.push(`--contimeout=${options.contimeoutSec}`);
    if (spec.passwordFile) args.push(`--password-file=${spec.passwordFile}`);
  }
  if (
    target.kind === 'ssh' &&
    !options.extraArgs.some((a) => a === '-e' || a.startsWith('--rsh') || a.startsWith('-e'))
  ) {
    // Never hang on a password or host-key prompt: fail fast with a message instead (keys or an agent expected).
    args.push(`--rsh=ssh -o BatchMode=yes -o ConnectTimeout=${options.contimeoutSec || 15}`);
  }
  // Without --mkpath (rsync < 3.2.3) the engine creates a missing sub-path first (ensureTargetPath).
  if (target.kind === 'local' || (target.path !== '' && caps.mkpath)) args.push('--mkpath');
  if (options.timeoutSec > 0 && !watchdogReplacesTimeout(spec)) args.push(`--timeout=${options.timeoutSec}`);
  if (options.bwlimitKiB > 0) args.push(`--bwlimit=${options.bwlimitKiB}`);
  args.push(...options.extraArgs);
  args.push(spec.folder.endsWith('/') ? spec.folder : `${spec.folder}/`, destinationArg(target));
  return args;
}

const NUL = Buffer.from([0]);

/**
 * The --files-from list: NUL-terminated, byte-exact. rsync drops entries starting with "#" or ";" as
 * comments even with --from0, so those are written as "./#name".
 */
export function encodeFileList(paths: readonly RelPath[]): Buffer {
  const parts: Buffer[] = [];
  for (const path of paths) {
    const first = path.charCodeAt(0);
    parts.push(toBuffer(first === 0x23 || first === 0x3b ? `./${path}` : path), NUL);
  }
  return Buffer.concat(parts);
}

/** NUL-terminated exclude rules for literal paths (used with --exclude-from=- --from0). */
export function encodeRules(rules: readonly string[]): Buffer {
  return Buffer.concat(rules.flatMap((rule) => [toBuffer(rule), NUL]));
}
