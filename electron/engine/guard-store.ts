// Keeps a tripped delete guard across restarts: one small JSON file per folder in the state directory, written
// when the guard trips (and when what it holds changes) and removed when it clears. Without it a restart would
// forget that deletions were paused, and its start-up full sync could delete before asking again. The file
// also tells `rsync-live deletions FOLDER` what is held, and `rsync-live confirm-deletions FOLDER` leaves a
// confirmation beside it for a running rsync-live to pick up.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeleteGuardReason } from '../shared/state.js';
import { writeFileAtomic } from './atomic-file.js';

export interface KeptGuard {
  reason: DeleteGuardReason;
  message: string;
  since: string;
  /** The folder's entries before the loss (mass-delete), to tell when it is back. */
  reference?: number | null;
  /** Entries held. */
  held?: number;
  /** The first paths held (display form). */
  paths?: string[];
}

interface GuardFile extends KeptGuard {
  version: 1;
  folder: string;
  /** The process holding the guard now, if one runs. */
  pid?: number;
}

const REASONS: readonly DeleteGuardReason[] = [
  'folder-missing',
  'folder-replaced',
  'folder-unmounted',
  'mass-delete',
];

/** How long a confirmation left by `rsync-live confirm-deletions` stays valid. */
export const CONFIRMATION_TTL_MS = 10 * 60_000;

function key(folder: string): string {
  return createHash('sha256').update(folder).digest('hex').slice(0, 20);
}

export function guardFileName(stateDir: string, folder: string): string {
  return path.join(stateDir, 'guards', `${key(folder)}.json`);
}

/** Where `rsync-live confirm-deletions FOLDER` asks a running rsync-live to release the held deletions. */
export function confirmFileName(stateDir: string, folder: string): string {
  return path.join(stateDir, 'guards', `${key(folder)}.confirm`);
}

/** Reads a kept guard file; null when there is none, it is unreadable, or it is another folder's. */
export async function readGuardFile(
  file: string,
  folder: string,
): Promise<(KeptGuard & { pid?: number }) | null> {
  let parsed: Partial<GuardFile>;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<GuardFile>;
  } catch {
    return null;
  }
  if (parsed.version !== 1 || parsed.folder !== folder) return null;
  // Guards kept by an older version for an empty folder are judged again as a mass delete.
  const reason = (parsed.reason as string) === 'folder-empty' ? 'mass-delete' : parsed.reason;
  if (!reason || !REASONS.includes(reason)) return null;
  if (typeof parsed.message !== 'string' || typeof parsed.since !== 'string') return null;
  return {
    reason,
    message: parsed.message,
    since: parsed.since,
    reference: typeof parsed.reference === 'number' ? parsed.reference : null,
    held: typeof parsed.held === 'number' ? parsed.held : 0,
    paths: Array.isArray(parsed.paths) ? parsed.paths.filter((p) => typeof p === 'string') : [],
    ...(typeof parsed.pid === 'number' ? { pid: parsed.pid } : {}),
  };
}

export class GuardStore {
  readonly file: string;
  readonly confirmFile: string;
  readonly #folder: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string, folder: string) {
    this.file = guardFileName(stateDir, folder);
    this.confirmFile = confirmFileName(stateDir, folder);
    this.#folder = folder;
  }

  /** The guard that was tripped when the previous run ended, or null. */
  load(): Promise<KeptGuard | null> {
    return readGuardFile(this.file, this.#folder);
  }

  /** Resolves once every write asked for so far is done. */
  whenWritten(): Promise<void> {
    return this.#writing;
  }

  /**
   * True (once) when `rsync-live confirm-deletions` asked for a confirmation in the last 10 minutes; an older
   * one is removed unanswered, so a stale confirmation never deletes something new.
   */
  async takeConfirmation(now = Date.now()): Promise<boolean> {
    let at: number;
    try {
      at = (await fs.stat(this.confirmFile)).mtimeMs;
      await fs.rm(this.confirmFile);
    } catch {
      return false;
    }
    return now - at <= CONFIRMATION_TTL_MS;
  }

  /** Records a tripped guard, or forgets it (null). Writes happen in order. */
  save(guard: KeptGuard | null): Promise<void> {
    this.#writing = this.#writing
      .then(async () => {
        if (guard === null) {
          await fs.rm(this.file, { force: true });
          await fs.rm(this.confirmFile, { force: true });
          return;
        }
        const body: GuardFile = { version: 1, folder: this.#folder, pid: process.pid, ...guard };
        await writeFileAtomic(this.file, JSON.stringify(body));
      })
      .catch(() => undefined);
    return this.#writing;
  }
}
