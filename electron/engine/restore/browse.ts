// Reads a target's backup with `rsync --list-only`: one directory at a time (for a lazy tree), a search by name
// over the whole backup, and the earlier copies kept in .rsync-live-versions/DATE/ (versions mode). The versions
// folder itself is hidden from the normal tree.
import { display, isWithin, parentOf, type RelPath } from '../byte-path.js';
import { VERSIONS_DIR } from '../rsync/command.js';
import { captureRsync, readArgs, readFailure, sourceArg } from './access.js';
import {
  childrenRules,
  encodeFilterRules,
  treeRules,
  versionChildrenRules,
  versionRules,
} from './filter-rules.js';
import { parseListOutput } from './list-output.js';
import { RestoreError, type RemoteEntry, type TargetAccess, type VersionEntry } from './types.js';

const DATE = /^\d{4}-\d\d-\d\d$/;

/** Directories first, then by name (bytes). */
export function sortEntries<E extends { kind: string; path: string }>(entries: E[]): E[] {
  return entries.sort((a, b) =>
    a.kind === 'dir' && b.kind !== 'dir'
      ? -1
      : b.kind === 'dir' && a.kind !== 'dir'
        ? 1
        : a.path < b.path
          ? -1
          : a.path > b.path
            ? 1
            : 0,
  );
}

/** A recursive listing below `sub` of the target's root, limited by `rules`; null when `sub` does not exist. */
export async function listWithRules(
  access: TargetAccess,
  sub: string,
  rules: readonly string[] | null,
  what: string,
  signal?: AbortSignal,
): Promise<RemoteEntry[] | null> {
  const args = ['--list-only', '--no-motd', ...readArgs(access)];
  if (rules) args.push('--recursive', '--from0', '--exclude-from=-');
  args.push(sourceArg(access.target, sub));
  const run = await captureRsync(access, args, rules ? encodeFilterRules(rules) : Buffer.alloc(0), signal);
  if (run.exitCode === 23 && /(change_dir|link_stat) .*No such file or directory/.test(run.stderr))
    return null;
  if (run.exitCode !== 0) throw readFailure(access, run, what);
  return parseListOutput(run.stdout.toString('latin1'));
}

function hideVersions(entries: RemoteEntry[]): RemoteEntry[] {
  return entries.filter((entry) => !isWithin(entry.path, VERSIONS_DIR));
}

/**
 * One directory of the backup (not recursive), sorted directories first; the root without .rsync-live-versions.
 * A path that is a file answers that one entry. Throws RestoreError when the path is not on the backup.
 */
export async function listRemote(access: TargetAccess, dir: RelPath): Promise<RemoteEntry[]> {
  const what = `cannot list ${display(dir) || '/'} on ${access.label}`;
  if (dir === '') {
    const entries = await listWithRules(access, '', null, what);
    if (entries === null) throw missingOnTarget(access, dir);
    return sortEntries(hideVersions(entries));
  }
  const listed = await listWithRules(access, '', childrenRules(dir), what);
  const self = listed?.find((entry) => entry.path === dir);
  if (!listed || !self) throw missingOnTarget(access, dir);
  if (self.kind !== 'dir') return [self];
  return sortEntries(listed.filter((entry) => parentOf(entry.path) === dir));
}

export function missingOnTarget(access: TargetAccess, path: RelPath): RestoreError {
  const parent = parentOf(path);
  return new RestoreError(
    `${display(path) || '/'} is not on ${access.label}: rsync-live ls TARGET${parent === '' ? '' : ` ${JSON.stringify(display(parent))}`} lists what is there`,
    'missing',
  );
}

/** Entries whose name contains `query` (case-insensitive), anywhere in the backup but the versions, at most `limit`. */
export async function searchRemote(
  access: TargetAccess,
  query: string,
  limit: number,
): Promise<RemoteEntry[]> {
  const needle = query.toLowerCase();
  const listed = await listWithRules(access, '', [`- /${VERSIONS_DIR}/`], `cannot search ${access.label}`);
  if (!listed) throw missingOnTarget(access, '' as RelPath);
  return listed.filter((entry) => entry.name.toLowerCase().includes(needle)).slice(0, limit);
}

/** Earlier copies of `path` kept in .rsync-live-versions/DATE/, newest first; empty when there are none. */
export async function listVersions(access: TargetAccess, path: RelPath): Promise<VersionEntry[]> {
  const listed = await listWithRules(
    access,
    VERSIONS_DIR,
    versionRules(path),
    `cannot list the versions of ${display(path)} on ${access.label}`,
  );
  const versions: VersionEntry[] = [];
  for (const entry of listed ?? []) {
    const slash = entry.path.indexOf('/');
    const date = entry.path.slice(0, slash);
    if (slash < 0 || !DATE.test(date) || entry.path.slice(slash + 1) !== path) continue;
    versions.push({ date, path, kind: entry.kind, size: entry.size, mtimeMs: entry.mtimeMs });
  }
  return versions.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

/**
 * The entries directly inside `dir` that have earlier copies (any date), newest copy of each name only: lets a
 * browser show files deleted from the folder (with listRemote's entries, the ones missing there are deleted).
 */
export async function listVersionedChildren(access: TargetAccess, dir: RelPath): Promise<VersionEntry[]> {
  const listed = await listWithRules(
    access,
    VERSIONS_DIR,
    versionChildrenRules(dir),
    `cannot list the versions in ${display(dir) || '/'} on ${access.label}`,
  );
  const newest = new Map<RelPath, VersionEntry>();
  for (const entry of listed ?? []) {
    const slash = entry.path.indexOf('/');
    const date = entry.path.slice(0, slash);
    const path = entry.path.slice(slash + 1) as RelPath;
    if (slash < 0 || !DATE.test(date) || parentOf(path) !== dir) continue;
    const known = newest.get(path);
    if (!known || known.date < date)
      newest.set(path, { date, path, kind: entry.kind, size: entry.size, mtimeMs: entry.mtimeMs });
  }
  return sortEntries([...newest.values()]);
}

/** The requested paths with their trees, below `sub` ('' = the backup, or a versions date folder). */
export async function listTrees(
  access: TargetAccess,
  sub: string,
  paths: readonly RelPath[],
  signal?: AbortSignal,
): Promise<RemoteEntry[] | null> {
  const whole = paths.includes('' as RelPath);
  const rules = whole ? (sub === '' ? [`- /${VERSIONS_DIR}/`] : null) : treeRules(paths);
  return listWithRules(access, sub, rules, `cannot list what to restore on ${access.label}`, signal);
}
