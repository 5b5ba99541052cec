// Paths a restore is writing into a watched folder, which the pair's watcher events must not turn into syncs:
// the restored entries, everything below a directory the restore created, and rsync's temporary files
// (".NAME.XXXXXX" beside NAME). Held while the restore runs and for a settle period on the injected Clock;
// then the caller checks the restored entries on disk and syncs any that changed meanwhile (see engine.ts).
import type { Clock } from '../clock.js';
import { baseName, isWithin, parentOf, type RelPath } from '../byte-path.js';
import type { RemoteEntry } from './types.js';

/** Default settle period after a restore ends: late watcher events of its writes still arrive in it. */
export const RESTORE_SETTLE_MS = 3_000;

/** rsync's temporary name for `name`: "." + name (possibly cut short) + "." + 6 characters. */
export function isTempOf(candidate: string, name: string): boolean {
  if (candidate.length < 9 || !candidate.startsWith('.') || candidate[candidate.length - 7] !== '.')
    return false;
  const stem = candidate.slice(1, -7);
  return stem.length > 0 && name.startsWith(stem);
}

interface Hold {
  entries: Map<RelPath, RemoteEntry>;
  /** Restored directories that did not exist locally: all below them is the restore's. */
  dirs: RelPath[];
  /** Parent directory → names of the restored files in it (for rsync's temporary names). */
  names: Map<RelPath, string[]>;
}

export class QuietPaths {
  readonly #holds = new Set<Hold>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Starts a hold; add entries to it as the restore plans them, end it when the restore is done. */
  begin(): QuietHold {
    const hold: Hold = { entries: new Map(), dirs: [], names: new Map() };
    this.#holds.add(hold);
    return {
      add: (entries) => {
        for (const entry of entries) {
          hold.entries.set(entry.path, entry);
          if (entry.kind === 'dir') hold.dirs.push(entry.path);
          const parent = parentOf(entry.path);
          const list = hold.names.get(parent) ?? [];
          list.push(baseName(entry.path));
          hold.names.set(parent, list);
        }
      },
      end: (settleMs, onReleased) => {
        this.#clock.setTimeout(() => {
          this.#holds.delete(hold);
          onReleased?.([...hold.entries.values()]);
        }, settleMs);
      },
    };
  }

  get active(): boolean {
    return this.#holds.size > 0;
  }

  /** True when an event for `path` (and, for a move, its old path) comes from a restore in progress. */
  covers(path: RelPath, from?: RelPath): boolean {
    if (this.#holds.size === 0) return false;
    return this.#covers(path) && (from === undefined || this.#covers(from));
  }

  #covers(path: RelPath): boolean {
    for (const hold of this.#holds) {
      if (hold.entries.has(path)) return true;
      if (hold.dirs.some((dir) => isWithin(path, dir))) return true;
      const names = hold.names.get(parentOf(path));
      const name = baseName(path);
      if (names?.some((restored) => isTempOf(name, restored))) return true;
    }
    return false;
  }
}

export interface QuietHold {
  add(entries: readonly RemoteEntry[]): void;
  /** Ends the hold after `settleMs` on the clock, then hands back the entries it covered. */
  end(settleMs: number, onReleased?: (entries: RemoteEntry[]) => void): void;
}
