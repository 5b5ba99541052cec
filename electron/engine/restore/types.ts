// The typed API of restore (issue 16): what the engine, the service/UI (browse, versions, restore) and the CLI
// (`rsync-live ls`, `rsync-live restore`) exchange. Types only; the functions live beside this file and are
// re-exported by ./index.ts. Every path is a RelPath (../byte-path.ts: latin1 "binary" string, one char per
// byte, relative to the target's root = the pair's folder); `name` fields are for people only.
import type { RsyncOptions } from '../../shared/config.js';
import type { RelPath } from '../byte-path.js';
import type { Target } from '../rsync/target.js';

/** How to reach one target for reading: never holds a password in argv (file or RSYNC_PASSWORD env only). */
export interface TargetAccess {
  target: Target;
  /** How the target is named in messages (describeTarget). */
  label: string;
  /** rsync executable. */
  rsync: string;
  /** Daemon password given to rsync through RSYNC_PASSWORD (null when a password file or none is used). */
  password: string | null;
  /** 0600 password file passed as --password-file. */
  passwordFile: string | null;
  /** Timeouts and bandwidth limit (extraArgs are not used for reading). */
  options: RsyncOptions;
}

export type RemoteKind = 'file' | 'dir' | 'symlink' | 'other';

/**
 * How an entry on the backup compares with the same path in the local folder:
 * same: size and mtime (to the second) equal, or both directories; missing: not in the folder;
 * newer-on-backup / newer-locally: mtimes differ; differs: same mtime, other size, or another kind.
 */
export type LocalState = 'same' | 'missing' | 'newer-on-backup' | 'newer-locally' | 'differs';

export interface RemoteEntry {
  /** Path relative to the target's root (the folder's root), byte-exact. */
  path: RelPath;
  /** Last path component for display (UTF-8, U+FFFD for invalid bytes). Never use it to address a file. */
  name: string;
  kind: RemoteKind;
  /** Bytes (a directory's size is what the server reports, usually 4096). */
  size: number;
  /** Modification time, whole seconds, as ms since the epoch (UTC). */
  mtimeMs: number;
  /** Symlinks: where the link points (display text). */
  linkTarget?: string;
  /** Filled by compareLocal. */
  local?: LocalState;
}

/** One earlier copy of a path kept in .rsync-live-versions/DATE/ on the target (versions mode). */
export interface VersionEntry {
  /** The day the copy was moved aside: YYYY-MM-DD (the --backup-dir name). */
  date: string;
  /** The path the copy had in the folder (the same for every version of one file). */
  path: RelPath;
  kind: RemoteKind;
  size: number;
  mtimeMs: number;
}

export interface RestoreRequest {
  /** Absolute local folder (the pair's folder): the paths are relative to it. */
  folder: string;
  /** Files or directories to restore (a directory restores its tree); relative to the folder, byte-exact. */
  paths: RelPath[];
  /** Restore into this absolute directory instead of the folder (paths keep their relative place below it). */
  to?: string;
  /** YYYY-MM-DD: restore the copies kept in .rsync-live-versions/DATE/ instead of the current backup. */
  version?: string;
  /** List what would happen; change nothing. */
  dryRun?: boolean;
  /** Overwrite local files that are newer than the backup copy (default: skip them and report). */
  overwriteNewer?: boolean;
  signal?: AbortSignal;
}

export interface RestoreFailure {
  path: RelPath;
  /** What happened and what to do (names a command, flag or button that exists). */
  message: string;
}

export interface RestoreResult {
  /** Entries written (or, with dryRun, that would be written), files and symlinks; directories are implied. */
  restored: RelPath[];
  /** Entries already identical locally (nothing to do). */
  unchanged: RelPath[];
  /** Local files newer than the backup copy, left alone (restore again with overwriteNewer to replace them). */
  skippedNewer: RelPath[];
  /** Requested paths (or entries below them) that could not be restored, with the reason. */
  failed: RestoreFailure[];
  dryRun: boolean;
  /** Where the entries went (the folder or `to`). */
  destination: string;
}

export interface RestoreProgress {
  phase: 'listing' | 'transferring' | 'done';
  /** Entries to write, once listed. */
  total: number;
  /** Entries written so far. */
  done: number;
  /** The entry rsync just wrote. */
  path?: RelPath;
  /** Bytes transferred so far (from rsync's itemized output). */
  bytes: number;
}

export type ProgressListener = (progress: RestoreProgress) => void;

/**
 * Thrown for a request that cannot start: bad-request (bad date, bad path), missing (not on the backup), target
 * (unreachable, auth), local (the folder). The message says what to do.
 */
export class RestoreError extends Error {
  constructor(
    message: string,
    readonly kind: 'bad-request' | 'missing' | 'target' | 'local' = 'target',
  ) {
    super(message);
  }
}
