// The folder's identity, checked in one place: is it still there, and is it still the same directory (device
// and inode) it was when the pair started watching it? An unmounted disk, a disk mounted over the folder or a
// renamed home all change that identity, and the delete guard must stop deletions before they reach a
// backup. Also counts the folder's entries for the guard's loss rule.
import fs from 'node:fs/promises';
import type { ExcludeMatcher } from './excludes.js';
import { countEntries } from './tree-walk.js';

export interface FolderIdentity {
  dev: number;
  ino: number;
}

export type FolderProblem = 'folder-missing' | 'folder-replaced';

/** What the delete guard needs to know about the folder (a fake in unit tests). */
export interface FolderProbe {
  /** null when the folder is there and the same directory; else what is wrong with it. */
  check(): Promise<FolderProblem | null>;
  /** Entries below the folder (files, links, directories; excluded paths left out). */
  count(): Promise<number>;
}

export async function folderIdentity(folder: string): Promise<FolderIdentity | null> {
  try {
    const stat = await fs.stat(folder);
    return stat.isDirectory() ? { dev: stat.dev, ino: stat.ino } : null;
  } catch {
    return null;
  }
}

export function sameIdentity(a: FolderIdentity, b: FolderIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

export class DiskFolderProbe implements FolderProbe {
  readonly #folder: string;
  readonly #root: Buffer;
  readonly #excluded: ExcludeMatcher;
  #identity: FolderIdentity | null = null;

  constructor(folder: string, root: Buffer, excluded: ExcludeMatcher) {
    this.#folder = folder;
    this.#root = root;
    this.#excluded = excluded;
  }

  /** The identity every later check compares with (taken when watching starts). */
  get identity(): FolderIdentity | null {
    return this.#identity;
  }

  /** Remembers the folder as it is now; null when it is missing or not a directory. */
  async remember(): Promise<FolderIdentity | null> {
    this.#identity = await folderIdentity(this.#folder);
    return this.#identity;
  }

  async check(): Promise<FolderProblem | null> {
    const now = await folderIdentity(this.#folder);
    if (now === null) return 'folder-missing';
    if (this.#identity && !sameIdentity(now, this.#identity)) return 'folder-replaced';
    return null;
  }

  count(): Promise<number> {
    return countEntries(this.#root, this.#excluded);
  }
}
