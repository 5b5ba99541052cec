// Remembers, per folder and target, that the pair's first sync is done and what the user chose about data
// that was already on the target: mirror (it was deleted) or keep (those entries are protected from every
// later deletion). A pair without a record is new: its first sync deletes nothing until the user chooses.
// One JSON file per folder+target in the state directory; without one, the engine's memory for this run.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RelPath } from './byte-path.js';
import { writeFileAtomic } from './atomic-file.js';

export interface PairingRecord {
  /** ISO time the first sync completed. */
  pairedAt: string;
  /** Entries that were on the target before the pair and that it keeps (merge); top-most only. */
  kept: RelPath[];
  /** ISO start of the last full sync that completed: what the folder held unchanged then was on the target. */
  syncedAt?: string;
}

interface PairingFile extends PairingRecord {
  version: 1;
  folder: string;
  target: string;
}

export function pairingFileName(stateDir: string, folder: string, target: string): string {
  const key = createHash('sha256').update(`${folder}\0${target}`).digest('hex').slice(0, 20);
  return path.join(stateDir, 'pairings', `${key}.json`);
}

export class PairingStore {
  readonly #stateDir: string | null;
  readonly #memory = new Map<string, PairingRecord>();

  constructor(stateDir: string | null) {
    this.#stateDir = stateDir;
  }

  async load(folder: string, target: string): Promise<PairingRecord | null> {
    const remembered = this.#memory.get(`${folder}\0${target}`);
    if (remembered || !this.#stateDir) return remembered ?? null;
    try {
      const parsed = JSON.parse(
        await fs.readFile(pairingFileName(this.#stateDir, folder, target), 'utf8'),
      ) as Partial<PairingFile>;
      if (parsed.version !== 1 || parsed.folder !== folder || parsed.target !== target) return null;
      if (typeof parsed.pairedAt !== 'string') return null;
      const kept = Array.isArray(parsed.kept) ? parsed.kept.filter((p) => typeof p === 'string') : [];
      const synced = typeof parsed.syncedAt === 'string' ? { syncedAt: parsed.syncedAt } : {};
      return { pairedAt: parsed.pairedAt, kept: kept as RelPath[], ...synced };
    } catch {
      return null;
    }
  }

  async save(folder: string, target: string, record: PairingRecord): Promise<void> {
    this.#memory.set(`${folder}\0${target}`, record);
    if (!this.#stateDir) return;
    const body: PairingFile = { version: 1, folder, target, ...record };
    await writeFileAtomic(pairingFileName(this.#stateDir, folder, target), JSON.stringify(body)).catch(
      () => undefined,
    );
  }
}
