// Compares entries of the backup with the same paths in a local folder (lstat only, never reads content):
// what a browser marks and what a restore must not overwrite (a local file newer than the backup copy).
import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { absolute, type RelPath } from '../byte-path.js';
import type { LocalState, RemoteEntry, RemoteKind } from './types.js';

function localKind(stat: Stats): RemoteKind {
  return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
}

/** The local state of one entry given the local lstat (null = missing); times compared to the second. */
export function localState(
  entry: Pick<RemoteEntry, 'kind' | 'size' | 'mtimeMs'>,
  stat: Stats | null,
): LocalState {
  if (stat === null) return 'missing';
  const kind = localKind(stat);
  if (kind !== entry.kind) return 'differs';
  if (kind === 'dir') return 'same';
  const local = Math.floor(stat.mtimeMs / 1000);
  const remote = Math.floor(entry.mtimeMs / 1000);
  if (remote > local) return 'newer-on-backup';
  if (local > remote) return 'newer-locally';
  return kind === 'file' && stat.size !== entry.size ? 'differs' : 'same';
}

export async function lstatOrNull(root: Buffer, path: RelPath): Promise<Stats | null> {
  try {
    return await fs.lstat(absolute(root, path));
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return null;
    throw error;
  }
}

/** The same entries with `local` filled in, compared with `folder` (an absolute path). */
export async function compareLocal(folder: string, entries: RemoteEntry[]): Promise<RemoteEntry[]> {
  const root = Buffer.from(folder.replace(/(?<=.)\/+$/, ''));
  return Promise.all(
    entries.map(async (entry) => ({
      ...entry,
      local: localState(entry, await lstatOrNull(root, entry.path)),
    })),
  );
}
