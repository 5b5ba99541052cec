// Finds the regular files changed (ctime) since a moment, byte-exactly, skipping excluded ones. Used after a
// full sync to servers without --modify-window=-1 (rsync 3.1.2): their quick check compares whole seconds, so a
// same-size rewrite within the second of the copy already on the server is re-sent by content
// (--ignore-times). ctime, not mtime: a rewrite that keeps (or resets) its mtime still moves the ctime.
import fs from 'node:fs/promises';
import { absolute, join, ROOT, type RelPath } from './byte-path.js';
import type { ExcludeMatcher } from './excludes.js';

/** How far before a full sync a change counts as possibly hidden from rsync's whole-second quick check. */
export const RECENT_MS = 2_000;

export async function findRecentlyChanged(
  root: Buffer,
  excluded: ExcludeMatcher,
  sinceMs: number,
  limit = 10_000,
): Promise<RelPath[]> {
  const found: RelPath[] = [];
  const stack: RelPath[] = [ROOT];
  while (stack.length > 0 && found.length < limit) {
    const dir = stack.pop() as RelPath;
    let entries;
    try {
      entries = await fs.readdir(absolute(root, dir), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    const files: RelPath[] = [];
    for (const entry of entries) {
      const rel = join(dir, entry.name.toString('latin1'));
      if (excluded(rel)) continue;
      if (entry.isDirectory()) stack.push(rel);
      else if (entry.isFile()) files.push(rel);
    }
    // One directory's files are looked at side by side (about twice as fast as one at a time).
    const changed = await Promise.all(
      files.map(async (rel) => {
        try {
          return (await fs.lstat(absolute(root, rel))).ctimeMs >= sinceMs;
        } catch {
          return false; // gone meanwhile: the full sync or the watcher deals with it
        }
      }),
    );
    files.forEach((rel, i) => {
      if (changed[i]) found.push(rel);
    });
  }
  return found;
}
