// The engine's observable state and event types, shared by the CLI, the headless API, Electron main and the
// renderer. Browser-safe: no node:, no electron. Paths here are display strings (UTF-8, invalid bytes as U+FFFD).

export const ERROR_KINDS = [
  'auth-failed',
  'unknown-module',
  'access-denied',
  'read-only',
  'option-refused',
  'connection-refused',
  'unreachable',
  'timeout',
  'connection-lost',
  'too-many-connections',
  'disk-full',
  'partial',
  'vanished',
  'permission-denied',
  'source-missing',
  'unmounted',
  'watch-limit',
  'watcher',
  'bad-config',
  'rsync-missing',
  'delete-guard',
  'in-use',
  'target-not-empty',
  'unknown',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** transient: retried with backoff forever; config: the target stops until the user retries or edits it. */
export type ErrorClass = 'transient' | 'config';

export interface SyncError {
  kind: ErrorKind;
  class: ErrorClass;
  /** What happened, to what, and what to do. Never contains a secret. */
  message: string;
  exitCode: number | null;
  /** ISO time the current incident started. */
  since: string;
  /** ISO time of the latest failure in this incident. */
  at: string;
  attempts: number;
  /** ISO time of the next automatic retry, or null if the user must act. */
  nextRetryAt: string | null;
}

/** A new incident's error, first seen `at` (ISO): one attempt, no retry scheduled. */
export function firstError(kind: ErrorKind, message: string, cls: ErrorClass, at: string): SyncError {
  return { kind, class: cls, message, exitCode: null, since: at, at, attempts: 1, nextRetryAt: null };
}

export type TargetStatus = 'starting' | 'idle' | 'syncing' | 'error' | 'stopped' | 'paused';
export type PairStatus = 'starting' | 'idle' | 'syncing' | 'error' | 'paused';

export interface TransferProgress {
  /** The file being sent (rsync names it before sending it), '' until rsync names one. */
  file: string;
  /** Bytes of file data done in this run. */
  bytes: number;
  /** Files to check in this run (progress2's to-chk=N/M: M), null until known. */
  total: number | null;
  /** Of the whole run, by bytes. */
  percent: number | null;
  /** Files still to check (to-chk N), null until known: files checked = total - remaining. */
  remaining?: number | null;
  /** rsync's current rate in bytes per second. */
  bytesPerSecond?: number | null;
  /** Time left for the run by rsync's estimate, null when unknown (or just after a file ended). */
  etaSeconds?: number | null;
  /** Size of the file being sent, null before rsync names one. */
  fileSize?: number | null;
  /** Bytes of that file done so far, null before rsync names one. */
  fileBytes?: number | null;
}

export interface TargetState {
  id: string;
  /** The target as typed, without any password. */
  url: string;
  kind: 'daemon' | 'ssh' | 'local';
  status: TargetStatus;
  /** Paths waiting to be sent. */
  queued: number;
  /** Paths in rsync runs now. */
  inFlight: number;
  runs: number;
  fullSyncRunning: boolean;
  lastSuccessAt: string | null;
  lastFullSyncAt: string | null;
  error: SyncError | null;
  today: { date: string; files: number; bytes: number };
  current: TransferProgress | null;
  /** Set while the first sync waits for the user's choice about data already on the target. */
  existing: ExistingDataState | null;
  /** This pair keeps the entries that were on the target before it was paired (merge), never deleting them. */
  keepsExisting: boolean;
  /**
   * The last full sync found that the target had lost entries this pair had put there and not deleted, and
   * restored them (absent or null: it found the target whole, or none has run yet).
   */
  lost?: LostDataState | null;
}

/**
 * What a full sync found missing on the target although this pair had put it there and not deleted it since
 * (another pair's sync, a foreign tool, a restored server): it sent those entries again. See
 * docs/reliability.md ("A target that lost data is not green").
 */
export interface LostDataState {
  /** Entries restored: created on the target although their copies had not changed since the last full sync. */
  entries: number;
  /** The first 100 of them, top-most only (a lost directory stands for what it held). */
  paths: string[];
  /** When the full sync that found them ended (ISO). */
  at: string;
  /** The warning in one paragraph: what happened, to which target, what to check. */
  message: string;
}

export interface WatcherState {
  backend: string;
  directories: number;
  ready: boolean;
  error: SyncError | null;
}

export type DeleteGuardReason = 'folder-missing' | 'folder-replaced' | 'folder-unmounted' | 'mass-delete';

/** Deletion propagation is paused until the user confirms (the folder may be an unplugged or empty disk). */
export interface DeleteGuardState {
  reason: DeleteGuardReason;
  message: string;
  since: string;
  /** Entries the held deletions remove (an `rm -rf` of 1,400 files is 1,400). */
  held: number;
  /** What would be deleted: the first 100 paths (a directory ends in "/"). */
  paths: string[];
  /** How many paths there are in all (paths lists the first 100). */
  pathsTotal: number;
}

/**
 * The first sync of a new pair found entries on the target that the folder does not have (another machine's
 * backup, another pair's files). Nothing is deleted until the user chooses: mirror (delete them), keep them
 * (merge), or pair with a sub-path instead.
 */
export interface ExistingDataState {
  /** Entries on the target that are not in the folder. */
  entries: number;
  /** The first 100 of them (a directory ends in "/"). */
  paths: string[];
  /** A sub-path named after this host and folder, as a full target URL, to pair with instead. */
  suggestion: string;
}

export interface PairState {
  id: string;
  name: string;
  folder: string;
  status: PairStatus;
  deletion: 'mirror' | 'keep' | 'versions';
  watcher: WatcherState;
  deleteGuard: DeleteGuardState | null;
  targets: TargetState[];
}

export interface EngineState {
  version: 1;
  pairs: PairState[];
}

export interface BatchSummary {
  pairId: string;
  targetId: string;
  runId: number;
  /**
   * move: renames inside the folder, each new path created from the old copy on the target; restore: files
   * fetched back from the target (`files` restored of `paths` asked for; the service adds these).
   */
  kind: 'paths' | 'tree' | 'full' | 'move' | 'restore';
  paths: number;
  files: number;
  deleted: number;
  /** What this run deleted on the target: the first 100 paths (a directory ends in "/"). */
  deletedPaths: string[];
  /** Files that vanished while being sent (rsync exit 24): normal in a live folder, re-checked at once. */
  vanished: number;
  bytes: number;
  ms: number;
  exitCode: number | null;
  ok: boolean;
  error: SyncError | null;
  at: string;
  /**
   * The pair's name and the target as typed when the run ended, added by the service so Activity can still
   * name a pair or target that has been removed since.
   */
  pairName?: string;
  targetUrl?: string;
  /** Added by the service: this entry's number in its Activity (one job can end in several rsync runs). */
  seq?: number;
}

export interface EngineEvents {
  state: [pairId: string];
  'batch-start': [
    info: { pairId: string; targetId: string; runId: number; kind: 'paths' | 'tree' | 'full'; paths: number },
  ];
  'batch-end': [summary: BatchSummary];
  file: [
    info: { pairId: string; targetId: string; runId: number; path: string; bytes: number; deleted: boolean },
  ];
  progress: [info: { pairId: string; targetId: string; runId: number } & TransferProgress];
  /** Named "failure", not "error": an unhandled EventEmitter "error" would throw. */
  failure: [info: { pairId: string; targetId: string | null; error: SyncError }];
  recovered: [info: { pairId: string; targetId: string | null }];
  /** Changed paths released by the coalescer (before any target sent them), for plugins. */
  changes: [
    info: {
      pairId: string;
      folder: string;
      changes: { path: string; change: 'upsert' | 'delete' | 'tree'; dir: boolean }[];
    },
  ];
  /** Paths of a failed run that went back to the queue (display form, at most 1,000), for fail logs. */
  'paths-failed': [
    info: {
      pairId: string;
      targetId: string;
      paths: string[];
      error: { kind: ErrorKind; message: string } | null;
      exitCode: number | null;
    },
  ];
  log: [info: { level: 'info' | 'warn' | 'error'; pairId: string | null; message: string }];
}
