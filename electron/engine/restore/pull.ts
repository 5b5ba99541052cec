// Restore: pulls paths of the backup (or of one versions date) back into the folder or another directory with
// rsync (argv only, the file list NUL-separated on stdin, mtimes kept). Plans first from a listing and the local
// lstat: a local file newer than the backup copy is left alone unless asked (and --update guards the race),
// identical files are not touched, existing local directories are never rewritten. Checks the result on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ancestors, display, isWithin, topMost, type RelPath } from '../byte-path.js';
import { encodeFileList, OUT_FORMAT, VERSIONS_DIR } from '../rsync/command.js';
import { classifyFailure, withoutRetry } from '../rsync/exit-codes.js';
import { runRsync } from '../rsync/runner.js';
import { readArgs, sourceArg } from './access.js';
import { listTrees } from './browse.js';
import { localState, lstatOrNull } from './compare.js';
import {
  RestoreError,
  type ProgressListener,
  type RemoteEntry,
  type RestoreFailure,
  type RestoreRequest,
  type RestoreResult,
  type TargetAccess,
} from './types.js';

const DATE = /^\d{4}-\d\d-\d\d$/;

/** A requested path made relative and clean ("./a//b/" → "a/b", "." → the root); throws for ".." or absolute. */
export function cleanRequestPath(raw: string): RelPath {
  if (raw.startsWith('/'))
    throw new RestoreError(
      `path ${JSON.stringify(display(raw))} is absolute: give it relative to the folder`,
      'bad-request',
    );
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..'))
    throw new RestoreError(
      `path ${JSON.stringify(display(raw))} has a ".." part: give the path below the folder without ".."`,
      'bad-request',
    );
  return parts.join('/') as RelPath;
}

export interface RestorePlan {
  /** Entries to write (files, symlinks, others, and directories missing locally), parents first. */
  write: RemoteEntry[];
  unchanged: RelPath[];
  skippedNewer: RelPath[];
  failed: RestoreFailure[];
}

/** What a restore of `listed` (the requested trees) into `root` would do. */
export async function planRestore(
  requested: readonly RelPath[],
  listed: readonly RemoteEntry[],
  root: Buffer,
  overwriteNewer: boolean,
  label: string,
  version?: string,
): Promise<RestorePlan> {
  const plan: RestorePlan = { write: [], unchanged: [], skippedNewer: [], failed: [] };
  const wanted = listed.filter((entry) => requested.some((p) => isWithin(entry.path, p)));
  for (const path of requested) {
    if (path !== '' && !wanted.some((entry) => entry.path === path))
      plan.failed.push({
        path,
        message: version
          ? `no copy from ${version} on ${label}: rsync-live ls TARGET ${VERSIONS_DIR}/${version} lists the copies of that day`
          : `not on ${label}: rsync-live ls TARGET lists what is there (and --version DATE restores an earlier copy)`,
      });
  }
  for (const entry of wanted) {
    const stat = await lstatOrNull(root, entry.path);
    const state = localState(entry, stat);
    if (entry.kind === 'dir') {
      if (state === 'missing') plan.write.push(entry);
      else if (stat && !stat.isDirectory())
        plan.failed.push({
          path: entry.path,
          message: `is a directory on ${label} but not locally: move the local one away and restore again`,
        });
      continue;
    }
    if (state === 'same') plan.unchanged.push(entry.path);
    else if (state === 'newer-locally' && !overwriteNewer) plan.skippedNewer.push(entry.path);
    else if (stat?.isDirectory())
      plan.failed.push({
        path: entry.path,
        message: `is a directory locally but not on ${label}: move the local one away and restore again`,
      });
    else plan.write.push(entry);
  }
  // Missing parents of what is written come from the backup too (with their times), never as bare mkdirs.
  const byPath = new Map(listed.map((entry) => [entry.path as string, entry]));
  const writing = new Set(plan.write.map((entry) => entry.path as string));
  for (const entry of [...plan.write]) {
    for (const dir of ancestors(entry.path)) {
      const parent = byPath.get(dir);
      if (!parent || writing.has(dir) || (await lstatOrNull(root, dir)) !== null) continue;
      writing.add(dir);
      plan.write.push(parent);
    }
  }
  plan.write.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return plan;
}

/** Pulls the requested paths back (see RestoreRequest). Throws RestoreError only when nothing could start. */
export async function restore(
  request: RestoreRequest,
  access: TargetAccess,
  onProgress?: ProgressListener,
  /** Called with the entries about to be written, before rsync starts (the live mirror ignores them). */
  onPlan?: (write: readonly RemoteEntry[]) => void,
): Promise<RestoreResult> {
  if (request.version !== undefined && !DATE.test(request.version))
    throw new RestoreError(
      `--version takes a date YYYY-MM-DD (a folder in ${VERSIONS_DIR}), got ${JSON.stringify(request.version)}`,
      'bad-request',
    );
  const destination = request.to ?? request.folder;
  if (!path.isAbsolute(destination))
    throw new RestoreError(`restore destination ${destination} must be an absolute path`, 'bad-request');
  const requested = topMost(request.paths.map(cleanRequestPath));
  if (requested.length === 0) throw new RestoreError('give at least one path to restore', 'bad-request');
  const sub = request.version ? `${VERSIONS_DIR}/${request.version}` : '';
  const dryRun = request.dryRun ?? false;
  const result: RestoreResult = {
    restored: [],
    unchanged: [],
    skippedNewer: [],
    failed: [],
    dryRun,
    destination,
  };
  onProgress?.({ phase: 'listing', total: 0, done: 0, bytes: 0 });
  const listed = await listTrees(access, sub, requested, request.signal);
  if (listed === null) {
    const where = request.version
      ? `${access.label} has no versions of ${request.version}: rsync-live ls TARGET ${VERSIONS_DIR} lists the dates kept`
      : `${access.label} is empty or missing`;
    result.failed = requested.map((p) => ({ path: p, message: where }));
    return result;
  }
  const root = Buffer.from(destination.replace(/(?<=.)\/+$/, ''));
  const plan = await planRestore(
    requested,
    listed,
    root,
    request.overwriteNewer ?? false,
    access.label,
    request.version,
  );
  result.unchanged = plan.unchanged;
  result.skippedNewer = plan.skippedNewer;
  result.failed = plan.failed;
  const files = plan.write.filter((entry) => entry.kind !== 'dir');
  if (dryRun || plan.write.length === 0) {
    result.restored = files.map((entry) => entry.path);
    onProgress?.({ phase: 'done', total: files.length, done: dryRun ? 0 : files.length, bytes: 0 });
    return result;
  }

  onPlan?.(plan.write);
  await fs.mkdir(destination, { recursive: true });
  const total = files.length;
  let done = 0;
  let bytes = 0;
  onProgress?.({ phase: 'transferring', total, done, bytes });
  const args = [
    '--archive',
    '--no-motd',
    '--no-implied-dirs',
    `--out-format=${OUT_FORMAT}`,
    '--from0',
    '--files-from=-',
    ...readArgs(access),
  ];
  if (!(request.overwriteNewer ?? false)) args.push('--update');
  args.push(sourceArg(access.target, sub), destination.endsWith('/') ? destination : `${destination}/`);
  const run = await runRsync({
    rsync: access.rsync,
    args,
    input: encodeFileList(plan.write.map((entry) => entry.path)),
    password: access.password,
    ...(request.signal ? { signal: request.signal } : {}),
    onItem: (item) => {
      if (item.type !== 'file' || item.isDir) return;
      done++;
      bytes += item.bytes;
      onProgress?.({ phase: 'transferring', total, done, bytes, path: item.path as RelPath });
    },
  });
  // What is on disk now decides, whatever rsync said.
  const why =
    run.exitCode === 0
      ? 'was not written (it may have changed locally during the restore): restore it again'
      : withoutRetry(
          classifyFailure({
            target: access.label,
            user: access.target.kind === 'local' ? null : access.target.user,
            exitCode: run.exitCode,
            stderr: run.stderr,
            ...(run.spawnError ? { spawnError: run.spawnError } : {}),
          }).message,
        );
  for (const entry of files) {
    const stat = await lstatOrNull(root, entry.path);
    const state = localState(entry, stat);
    if (state === 'same') result.restored.push(entry.path);
    else if (state === 'newer-locally' && !(request.overwriteNewer ?? false))
      result.skippedNewer.push(entry.path);
    else result.failed.push({ path: entry.path, message: why });
  }
  onProgress?.({ phase: 'done', total, done: result.restored.length, bytes });
  return result;
}
