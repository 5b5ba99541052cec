// Restore (issue 16): browse a target, compare with the local folder, list earlier versions, and pull files
// back. The public entry points; see ./types.ts for the data. Stubs until each piece lands.
import type { EngineTargetConfig } from '../pair-types.js';
import type { RsyncOptions } from '../../shared/config.js';
import type { RelPath } from '../byte-path.js';
import type {
  ProgressListener,
  RemoteEntry,
  RestoreRequest,
  RestoreResult,
  TargetAccess,
  VersionEntry,
} from './types.js';

export * from './types.js';

const notYet = (what: string): never => {
  throw new Error(`restore: ${what} is not implemented yet`);
};

/** The access for one configured target: its URL, password (file or in-memory) and the pair's rsync options. */
export function targetAccess(
  _config: EngineTargetConfig,
  _pairOptions: RsyncOptions,
  _rsync = 'rsync',
): TargetAccess {
  return notYet('targetAccess');
}

/** One directory of the backup (not recursive), without .rsync-live-versions; sorted dirs first, then by name. */
export async function listRemote(_access: TargetAccess, _dir: RelPath): Promise<RemoteEntry[]> {
  return notYet('listRemote');
}

/** Entries whose name contains `query` (case-insensitive), anywhere in the backup, at most `limit`. */
export async function searchRemote(
  _access: TargetAccess,
  _query: string,
  _limit: number,
): Promise<RemoteEntry[]> {
  return notYet('searchRemote');
}

/** The same entries with `local` filled in, compared with `folder`. */
export async function compareLocal(_folder: string, _entries: RemoteEntry[]): Promise<RemoteEntry[]> {
  return notYet('compareLocal');
}

/** Earlier copies of `path` in .rsync-live-versions/DATE/, newest first (empty when there are none). */
export async function listVersions(_access: TargetAccess, _path: RelPath): Promise<VersionEntry[]> {
  return notYet('listVersions');
}

/** Pulls the requested paths back (see RestoreRequest). Never throws for a single path: see result.failed. */
export async function restore(
  _request: RestoreRequest,
  _access: TargetAccess,
  _onProgress?: ProgressListener,
): Promise<RestoreResult> {
  return notYet('restore');
}
