// Walks a folder byte-exactly and returns the relative paths an exclude matcher rejects (top-most only), so a
// full sync can pass regex excludes to rsync as literal rules.
import fs from 'node:fs/promises';
import { absolute, join, ROOT, type RelPath } from './byte-path.js';
import type { ExcludeMatcher } from './excludes.js';

/** With `below`: only inside those directories (a recursive run of new directories). */
export async function findExcluded(
  root: Buffer,
  excluded: ExcludeMatcher,
  below: readonly RelPath[] = [ROOT],
): Promise<RelPath[]> {
  const found: RelPath[] = [];
  const stack: RelPath[] = [...below];
  while (stack.length > 0) {
    const dir = stack.pop() as RelPath;
    let entries;
    try {
      entries = await fs.readdir(absolute(root, dir), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const rel = join(dir, entry.name.toString('latin1'));
      if (excluded(rel)) found.push(rel);
      else if (entry.isDirectory()) stack.push(rel);
    }
  }
  return found;
}

/** Counts the entries (files, links, directories) below `root` that the matcher does not exclude. */
export async function countEntries(root: Buffer, excluded: ExcludeMatcher): Promise<number> {
  let count = 0;
  const stack: RelPath[] = [ROOT];
  while (stack.length > 0) {
    const dir = stack.pop() as RelPath;
    let entries;
    try {
      entries = await fs.readdir(absolute(root, dir), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const rel = join(dir, entry.name.toString('latin1'));
      if (excluded(rel)) continue;
      count++;
      if (entry.isDirectory()) stack.push(rel);
    }
  }
  return count;
}
