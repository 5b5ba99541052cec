// The restore part of the API contract (issue 16): what "Browse backup", search, versions and restore send and
// answer, and the restore events. Browser-safe: no node:, no electron.
//
// Paths are bytes: every `path` here is a path relative to the pair's folder as a "binary" string (one char per
// byte, latin1, "/"-separated, no leading "/"), exactly as the engine keeps it, so any name (non-UTF-8 too)
// survives JSON and comes back unchanged in a request. Show `name` (display text) to people, never `path`.
import { z } from 'zod';

/** How a backup entry compares with the local folder. */
export type LocalMark = 'same' | 'missing' | 'newer-on-backup' | 'newer-locally' | 'differs';

/** One entry of a directory on a target (rsync --list-only), compared with the local folder. */
export interface BackupEntryView {
  /** Relative to the pair's folder, bytes as a binary string (send it back as is). */
  path: string;
  /** The last path component for people (UTF-8, invalid bytes as U+FFFD). */
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
  /** Bytes (files); what rsync lists for other kinds. */
  size: number;
  /** ISO time of the entry's modification time on the target. */
  mtime: string;
  /** null: not compared (e.g. a directory, or search results the engine did not compare). */
  local: LocalMark | null;
  /**
   * Set for a file that is no longer in the backup's tree but kept as an earlier version (versions mode): the
   * day of its last version (YYYY-MM-DD); size and mtime are that copy's. Restore it with that `version`.
   */
  deletedVersion?: string;
}

/** What `browse` answers: the entries of one directory of the backup. */
export interface BackupListingView {
  /** The directory listed ("" = the top of the pair's backup). */
  dir: string;
  entries: BackupEntryView[];
  /** The pair keeps versions on this target (deletion "versions"): `versions` can list a file's earlier copies. */
  versions: boolean;
}

/** What `searchBackup` answers. */
export interface BackupSearchView {
  query: string;
  entries: BackupEntryView[];
  /** More entries matched than were returned. */
  truncated: boolean;
}

/** One earlier copy of a file, kept by --versions under `.rsync-live-versions/DATE/`. */
export interface BackupVersionView {
  /** The version's day as the folder names it (YYYY-MM-DD); `restore` takes it as `version`. */
  version: string;
  size: number;
  /** ISO modification time of that copy. */
  mtime: string;
}

/** What `versions` answers: the current copy (if the file still exists on the target) and the earlier ones. */
export interface BackupVersionsView {
  path: string;
  name: string;
  /** The file as the target holds it now; null when it was deleted (its last version is the newest below). */
  current: { size: number; mtime: string } | null;
  /** Newest first. */
  versions: BackupVersionView[];
}

/** A path that could not be restored, and why (what to do included). */
export interface RestoreFailureView {
  path: string;
  name: string;
  message: string;
}

/** What `restore` answers once the restore has ended. */
export interface RestoreResultView {
  /** Files and links written (directories are implied). */
  restored: number;
  /** Entries that were already the same locally. */
  unchanged: number;
  /** Local files newer than the backup's copy, left alone: restore them again with `overwriteNewer`. */
  skippedNewer: { path: string; name: string }[];
  failed: RestoreFailureView[];
  /** Where the entries went: the pair's folder or the `to` folder. */
  destination: string;
}

const relPath = z
  .string()
  .max(65_536)
  .refine((p) => !p.startsWith('/') && !p.split('/').some((part) => part === '..' || part === '.'), {
    message: 'a path relative to the pair\'s folder, without "." or ".." parts',
  });

const ids = { pairId: z.string().min(1), targetId: z.string().min(1) };

/** Request schemas of the restore methods (merged into `apiRequests`). */
export const restoreRequests = {
  /** The entries of one directory of a target's backup ("" = its top), compared with the local folder. */
  browse: z.strictObject({ ...ids, dir: relPath.default('') }),
  /** Entries of the backup whose name contains `query` (case-insensitive), anywhere below the top. */
  searchBackup: z.strictObject({
    ...ids,
    query: z.string().min(1).max(1024),
    limit: z.number().int().min(1).max(1000).default(200),
  }),
  /** A file's earlier copies on a target that keeps versions. */
  versions: z.strictObject({ ...ids, path: relPath.refine((p) => p !== '', 'a file, not the top') }),
  /**
   * Copies paths from the target back: into the pair's folder (the live mirror does not send them back), or
   * into `to`. Without `overwriteNewer`, a path whose local copy is newer is skipped and listed.
   */
  restore: z.strictObject({
    ...ids,
    paths: z.array(relPath).min(1).max(10_000),
    /** An absolute folder to restore into instead of the pair's folder. */
    to: z
      .string()
      .min(1)
      .refine((p) => p.startsWith('/') || p.startsWith('~'), 'an absolute folder (or one under ~)')
      .optional(),
    /** A day from `versions` (YYYY-MM-DD): restore the copies kept that day instead of the current ones. */
    version: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD, as `versions` lists it')
      .optional(),
    overwriteNewer: z.boolean().default(false),
  }),
} as const;

/** A restore's push events: progress while it runs, then its end (also when it failed). */
export interface RestoreEvents {
  restoreProgress: {
    pairId: string;
    targetId: string;
    phase: 'listing' | 'transferring' | 'done';
    /** Entries to write, once listed. */
    total: number;
    /** Entries written so far. */
    done: number;
    /** The entry just written (display text), '' until one is. */
    file: string;
    bytes: number;
    /** Bytes fetched per second since the restore began; null until there are some. */
    bytesPerSecond: number | null;
  };
  restoreEnd: {
    pairId: string;
    targetId: string;
    /** The outcome; null when the restore could not run at all (see `error`). */
    result: RestoreResultView | null;
    error: string | null;
  };
}
