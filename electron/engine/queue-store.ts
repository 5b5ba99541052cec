// Persists one target's unfinished paths (pending and in flight) so a restart, even after SIGKILL, resumes
// them first. One JSON file per folder+target, rewritten atomically at most every `intervalMs`. Paths are
// byte strings (latin1), which JSON round-trips exactly.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RelPath } from './byte-path.js';
import type { PathChange } from './coalescer.js';
import { writeFileAtomic } from './atomic-file.js';

interface QueueFile {
  version: 1;
  folder: string;
  target: string;
  /**
   * s: an upsert of a new directory with everything below it (read as a plain upsert by versions before it).
   * The fourth element, when present, is the path a move (or what became of one) came from.
   */
  changes: [path: string, change: 'u' | 'd' | 't' | 'm' | 's', dir: 0 | 1, from?: string][];
}

const CHANGES: Record<string, PathChange['change']> = { u: 'upsert', d: 'delete', t: 'tree', m: 'move' };

export function queueFileName(stateDir: string, folder: string, target: string): string {
  const key = createHash('sha256').update(`${folder}\0${target}`).digest('hex').slice(0, 20);
  return path.join(stateDir, 'queues', `${key}.json`);
}

export class QueueStore {
  readonly file: string;
  readonly #folder: string;
  readonly #target: string;
  readonly #snapshot: () => PathChange[];
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #lastWrittenEmpty = false;

  constructor(options: {
    stateDir: string;
    folder: string;
    target: string;
    snapshot: () => PathChange[];
    intervalMs?: number;
  }) {
    this.file = queueFileName(options.stateDir, options.folder, options.target);
    this.#folder = options.folder;
    this.#target = options.target;
    this.#snapshot = options.snapshot;
    this.#intervalMs = options.intervalMs ?? 250;
  }

  async load(): Promise<PathChange[]> {
    let parsed: QueueFile;
    try {
      parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as QueueFile;
    } catch {
      return [];
    }
    if (parsed.version !== 1 || parsed.folder !== this.#folder || parsed.target !== this.#target) return [];
    return parsed.changes.map(([p, change, dir, from]) => ({
      path: p as RelPath,
      change: CHANGES[change] ?? 'upsert',
      dir: dir === 1,
      ...(change === 's' ? { subtree: true as const } : {}),
      ...(typeof from === 'string' ? { from: from as RelPath } : {}),
    }));
  }

  /** Called on every queue change; writes at most once per interval. */
  changed(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.save();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  save(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#writing = this.#writing.then(() => this.#write()).catch(() => undefined);
    return this.#writing;
  }

  async #write(): Promise<void> {
    const changes = this.#snapshot();
    if (changes.length === 0 && this.#lastWrittenEmpty) return;
    const body: QueueFile = {
      version: 1,
      folder: this.#folder,
      target: this.#target,
      changes: changes.map((c) => {
        const code =
          c.change === 'delete'
            ? 'd'
            : c.change === 'tree'
              ? 't'
              : c.change === 'move'
                ? 'm'
                : c.subtree
                  ? 's'
                  : 'u';
        return c.from === undefined ? [c.path, code, c.dir ? 1 : 0] : [c.path, code, c.dir ? 1 : 0, c.from];
      }),
    };
    await writeFileAtomic(this.file, JSON.stringify(body));
    this.#lastWrittenEmpty = changes.length === 0;
  }
}
