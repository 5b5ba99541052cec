// Keeps a --delete-missing-args list acceptable to servers older than 3.2.3, which abort ("invalid path from
// sender", exit 2) when one list holds a deleted directory and entries below it. A listed path that is missing
// locally is a deletion (also an upsert whose file is gone by now), and its --force deletion already covers
// everything below it, so the entries below a missing listed directory are left out.
import fs from 'node:fs/promises';
import { absolute, ancestors, type RelPath } from '../byte-path.js';

export async function pruneBelowDeleted(root: Buffer, paths: readonly RelPath[]): Promise<RelPath[]> {
  const listed = new Set(paths);
  // Only listed paths with a listed descendant matter: usually none, so this costs nothing.
  const parents = new Set<RelPath>();
  for (const p of paths) for (const dir of ancestors(p)) if (listed.has(dir)) parents.add(dir);
  if (parents.size === 0) return [...paths];
  const missing = new Set<RelPath>();
  await Promise.all(
    [...parents].map(async (dir) => {
      try {
        await fs.lstat(absolute(root, dir));
      } catch {
        missing.add(dir);
      }
    }),
  );
  if (missing.size === 0) return [...paths];
  return paths.filter((p) => ![...ancestors(p)].some((dir) => missing.has(dir)));
}
