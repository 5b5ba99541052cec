// Keeps a tripped delete guard across restarts: one small JSON file per folder in the state directory, written
// when the guard trips and removed when the user confirms. Without it a restart would forget that deletions
// were paused, and its start-up full sync could delete up to the guard's minimum before asking again.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeleteGuardReason, DeleteGuardState } from '../shared/state.js';
import { writeFileAtomic } from './atomic-file.js';

interface GuardFile {
  version: 1;
  folder: string;
  reason: DeleteGuardReason;
  message: string;
  since: string;
}

const REASONS: readonly DeleteGuardReason[] = [
  'folder-missing',
  'folder-replaced',
  'folder-empty',
  'mass-delete',
];

export function guardFileName(stateDir: string, folder: string): string {
  const key = createHash('sha256').update(folder).digest('hex').slice(0, 20);
  return path.join(stateDir, 'guards', `${key}.json`);
}

export class GuardStore {
  readonly file: string;
  readonly #folder: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string, folder: string) {
    this.file = guardFileName(stateDir, folder);
    this.#folder = folder;
  }

  /** The guard that was tripped when the previous run ended, or null (none, unreadable or another folder's). */
  async load(): Promise<Omit<DeleteGuardState, 'held'> | null> {
    let parsed: Partial<GuardFile>;
    try {
      parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<GuardFile>;
    } catch {
      return null;
    }
    if (parsed.version !== 1 || parsed.folder !== this.#folder) return null;
    if (!parsed.reason || !REASONS.includes(parsed.reason)) return null;
    if (typeof parsed.message !== 'string' || typeof parsed.since !== 'string') return null;
    return { reason: parsed.reason, message: parsed.message, since: parsed.since };
  }

  /** Resolves once every write asked for so far is done. */
  whenWritten(): Promise<void> {
    return this.#writing;
  }

  /** Records a tripped guard, or forgets it (null). Writes happen in order. */
  save(guard: Omit<DeleteGuardState, 'held'> | null): Promise<void> {
    this.#writing = this.#writing
      .then(async () => {
        if (guard === null) {
          await fs.rm(this.file, { force: true });
          return;
        }
        const body: GuardFile = { version: 1, folder: this.#folder, ...guard };
        await writeFileAtomic(this.file, JSON.stringify(body));
      })
      .catch(() => undefined);
    return this.#writing;
  }
}
