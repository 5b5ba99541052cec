// The restore methods of the API (issue 16: browse, searchBackup, versions, restore) over the engine's restore
// module: finds the pair's target access, maps the engine's entries (RelPath, ms times) to the contract's views
// (binary path + display name, ISO times), turns engine errors into ApiErrors the UI can explain, and reports
// a restore's progress and end as push events. Transport-free; AppService routes the four methods here.
import os from 'node:os';
import path from 'node:path';
import { ApiError, type ApiEvents, type ApiParsedRequest, type ApiResponses } from '../shared/api.js';
import { expandHome } from '../shared/folder-rules.js';
import type { BackupEntryView, RestoreResultView } from '../shared/restore.js';
import { firstError, type BatchSummary } from '../shared/state.js';
import { baseName, display, type RelPath } from '../engine/byte-path.js';
import type { Engine } from '../engine/index.js';
import {
  compareLocal,
  listRemote,
  listVersionedChildren,
  listVersions,
  RestoreError,
  searchRemote,
  type RemoteEntry,
  type RestoreProgress,
  type TargetAccess,
} from '../engine/restore/index.js';

export interface RestoreServiceOptions {
  engine: Engine;
  /** Push events to every window / browser tab: a restore's progress, and its end. */
  onProgress: (progress: ApiEvents['restoreProgress']) => void;
  onEnd: (end: ApiEvents['restoreEnd']) => void;
  /** A restore that ended (or could not run), as an Activity entry. */
  onActivity?: (entry: BatchSummary) => void;
  /** What "~" in a `to` folder means (default: the user's home directory). */
  home?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function entryView(entry: RemoteEntry): BackupEntryView {
  return {
    path: entry.path,
    name: entry.name,
    kind: entry.kind,
    size: entry.size,
    mtime: iso(entry.mtimeMs),
    local: entry.local ?? null,
  };
}

/**
 * Which progress reports of one restore go out as events: every change of phase, then about one per percent
 * of the entries (a restore of 100,000 files sends some 100 events, not 100,000).
 */
export function progressSampler(): (progress: RestoreProgress) => boolean {
  let phase: RestoreProgress['phase'] | null = null;
  let reported = 0;
  return (progress) => {
    const step = Math.max(1, Math.floor(progress.total / 100));
    if (progress.phase === phase && progress.done - reported < step) return false;
    phase = progress.phase;
    reported = progress.done;
    return true;
  };
}

/** An engine error as the UI shows it: a refused request is the caller's, anything else the target's. */
function apiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RestoreError)
    return new ApiError(error.kind === 'bad-request' ? 'invalid-request' : 'unavailable', error.message);
  return new ApiError('internal', (error as Error).message);
}

export class RestoreService {
  readonly #options: RestoreServiceOptions;

  constructor(options: RestoreServiceOptions) {
    this.#options = options;
  }

  /** The pair's folder, whether it keeps versions, and how to read the target. */
  #open(pairId: string, targetId: string): { folder: string; versions: boolean; access: TargetAccess } {
    const config = this.#options.engine.pairConfig(pairId);
    if (!config) throw new ApiError('not-found', `there is no pair "${pairId}"`);
    const access = this.#options.engine.restoreAccess(pairId, targetId);
    if (!access) throw new ApiError('not-found', `the pair "${pairId}" has no target "${targetId}"`);
    return { folder: config.folder, versions: config.deletion === 'versions', access };
  }

  async browse(r: ApiParsedRequest<'browse'>): Promise<ApiResponses['browse']> {
    const { folder, versions, access } = this.#open(r.pairId, r.targetId);
    try {
      const listed = await listRemote(access, r.dir as RelPath);
      const entries = (await compareLocal(folder, listed)).map(entryView);
      if (versions) {
        // A file deleted from the folder is no longer in the tree; its last version is (versions mode).
        const present = new Set<string>(listed.map((entry) => entry.path));
        const deleted = (await listVersionedChildren(access, r.dir as RelPath)).filter(
          (version) => !present.has(version.path),
        );
        const compared = await compareLocal(
          folder,
          deleted.map((version) => ({
            path: version.path,
            name: display(baseName(version.path)),
            kind: version.kind,
            size: version.size,
            mtimeMs: version.mtimeMs,
          })),
        );
        entries.push(
          ...compared.map((entry, index) => ({
            ...entryView(entry),
            deletedVersion: deleted[index]?.date ?? '',
          })),
        );
      }
      return { dir: r.dir, entries, versions };
    } catch (error) {
      throw apiError(error);
    }
  }

  async search(r: ApiParsedRequest<'searchBackup'>): Promise<ApiResponses['searchBackup']> {
    const { folder, access } = this.#open(r.pairId, r.targetId);
    try {
      // One more than asked for tells whether there are more.
      const found = await searchRemote(access, r.query, r.limit + 1);
      const entries = (await compareLocal(folder, found.slice(0, r.limit))).map(entryView);
      return { query: r.query, entries, truncated: found.length > r.limit };
    } catch (error) {
      throw apiError(error);
    }
  }

  async versions(r: ApiParsedRequest<'versions'>): Promise<ApiResponses['versions']> {
    const { versions: keeps, access } = this.#open(r.pairId, r.targetId);
    const rel = r.path as RelPath;
    const name = display(baseName(rel));
    try {
      // A file answers itself; one deleted from the backup is "not on the target" (its versions remain).
      const current = await listRemote(access, rel).then(
        (listed) => listed.find((entry) => entry.path === rel),
        (error: unknown) => {
          if (error instanceof RestoreError && error.kind === 'bad-request') return undefined;
          throw error;
        },
      );
      const found = keeps ? await listVersions(access, rel) : [];
      return {
        path: r.path,
        name,
        current: current ? { size: current.size, mtime: iso(current.mtimeMs) } : null,
        versions: found.map((v) => ({ version: v.date, size: v.size, mtime: iso(v.mtimeMs) })),
      };
    } catch (error) {
      throw apiError(error);
    }
  }

  /** Runs one restore; progress and the end go out as events too, so every window sees them. */
  async restore(r: ApiParsedRequest<'restore'>): Promise<ApiResponses['restore']> {
    this.#open(r.pairId, r.targetId);
    const { pairId, targetId } = r;
    const to =
      r.to === undefined ? undefined : path.resolve(expandHome(r.to, this.#options.home ?? os.homedir()));
    const shouldReport = progressSampler();
    const startedAt = Date.now();
    let bytes = 0;
    const activity = (view: RestoreResultView | null, error: string | null): void =>
      this.#options.onActivity?.(
        restoreActivity({ pairId, targetId, paths: r.paths.length, startedAt, bytes }, view, error),
      );
    try {
      const result = await this.#options.engine.restore(
        pairId,
        {
          paths: r.paths as RelPath[],
          overwriteNewer: r.overwriteNewer,
          ...(to === undefined ? {} : { to }),
          ...(r.version === undefined ? {} : { version: r.version }),
        },
        {
          targetId,
          onProgress: (p) => {
            bytes = p.bytes;
            if (!shouldReport(p)) return;
            this.#options.onProgress({
              pairId,
              targetId,
              phase: p.phase,
              total: p.total,
              done: p.done,
              file: p.path === undefined ? '' : display(p.path),
              bytes: p.bytes,
              bytesPerSecond: averageRate(p.bytes, Date.now() - startedAt),
            });
          },
        },
      );
      const view: RestoreResultView = {
        restored: result.restored.length,
        unchanged: result.unchanged.length,
        skippedNewer: result.skippedNewer.map((p) => ({ path: p, name: display(p) })),
        failed: result.failed.map((f) => ({ path: f.path, name: display(f.path), message: f.message })),
        destination: result.destination,
      };
      this.#options.onEnd({ pairId, targetId, result: view, error: null });
      activity(view, null);
      return view;
    } catch (error) {
      const failure = apiError(error);
      this.#options.onEnd({ pairId, targetId, result: null, error: failure.message });
      activity(null, failure.message);
      throw failure;
    }
  }
}

/** Bytes per second over `ms`, or null before there is anything to average (no bytes, or under 0.1 s). */
export function averageRate(bytes: number, ms: number): number | null {
  return bytes > 0 && ms >= 100 ? Math.round((bytes * 1000) / ms) : null;
}

/**
 * A restore as an Activity entry: the files written of the paths asked for, the bytes fetched, and why it
 * failed (the first path that could not be restored, and how many did not) or could not run at all.
 */
export function restoreActivity(
  run: { pairId: string; targetId: string; paths: number; startedAt: number; bytes: number },
  view: RestoreResultView | null,
  error: string | null,
  now = Date.now(),
): BatchSummary {
  const at = new Date(now).toISOString();
  const first = view?.failed[0];
  const message =
    error ??
    (first
      ? `${view.failed.length} of the paths could not be restored${view.failed.length > 1 ? ', first' : ''}: ` +
        `${first.name}: ${first.message}`
      : null);
  return {
    pairId: run.pairId,
    targetId: run.targetId,
    runId: 0,
    kind: 'restore',
    paths: run.paths,
    files: view?.restored ?? 0,
    deleted: 0,
    deletedPaths: [],
    vanished: 0,
    bytes: run.bytes,
    ms: now - run.startedAt,
    exitCode: null,
    ok: message === null,
    error: message === null ? null : firstError('unknown', message, 'transient', at),
    at,
  };
}
