// Files deleted from a pair's backup that versions mode kept: rsync moved them to
// `.rsync-live-versions/DATE/<path>` on the target, so they are no longer in the tree Browse backup lists. This
// module finds, for one directory, the entries that exist only there, each with the day of its last version,
// so the UI can show a deleted file in its place and restore that copy (`restore` with `version`).
import { join, type RelPath } from '../engine/byte-path.js';
import { VERSIONS_DIR } from '../engine/rsync/command.js';
import { listRemote, type RemoteEntry, type TargetAccess } from '../engine/restore/index.js';

/** Days looked at, newest first: one listing each, so a directory opens quickly even after years of versions. */
export const DELETED_DAYS_LIMIT = 31;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface DeletedEntry {
  /** The entry as it was in the folder: its path relative to the folder, that copy's size and mtime. */
  entry: RemoteEntry;
  /** The day of its newest version (YYYY-MM-DD). */
  version: string;
}

/**
 * The entries of `dir` kept as versions but not in the backup's tree (`present` says which paths are), newest
 * version each, sorted like listRemote (directories first, then by name). A day whose directory has no `dir`
 * is skipped; no versions at all is an empty list.
 */
export async function deletedEntries(
  access: TargetAccess,
  dir: RelPath,
  present: (path: RelPath) => boolean,
): Promise<DeletedEntry[]> {
  let days: RemoteEntry[];
  try {
    days = await listRemote(access, VERSIONS_DIR as RelPath);
  } catch {
    return [];
  }
  const dates = days
    .filter((day) => day.kind === 'dir' && DAY.test(day.name))
    .map((day) => day.name)
    .sort()
    .reverse()
    .slice(0, DELETED_DAYS_LIMIT);
  const found = new Map<RelPath, DeletedEntry>();
  for (const date of dates) {
    const base = `${VERSIONS_DIR}/${date}` as RelPath;
    let listed: RemoteEntry[];
    try {
      listed = await listRemote(access, dir === '' ? base : join(base, dir));
    } catch {
      continue;
    }
    for (const entry of listed) {
      const rel = entry.path.slice(base.length + 1) as RelPath;
      if (present(rel) || found.has(rel)) continue;
      found.set(rel, { entry: { ...entry, path: rel }, version: date });
    }
  }
  return [...found.values()].sort(
    (a, b) =>
      Number(b.entry.kind === 'dir') - Number(a.entry.kind === 'dir') ||
      (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0),
  );
}
