// What a target path holds against a folder, by the dry runs a pair's first sync makes: a dry-run mirror of
// the folder lists every entry it would delete, i.e. the entries the folder doesn't have; a dry-run mirror of
// an empty directory lists every entry the path holds. Entries are counted the way the first sync counts its
// deletions: each file, directory and link is one entry (a directory and each entry below it count one by
// one), names are bytes. Also the sub-path suggested instead of a non-empty target, and the shared listing
// constants the target runner's own listings use.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DeletionPolicy, RsyncOptions } from '../../shared/config.js';
import { ancestors, display, topMost, type RelPath } from '../byte-path.js';
import { planRun, readOutcome } from '../run-plan.js';
import type { Classified } from './exit-codes.js';
import { runRsync } from './runner.js';
import type { ServerCapabilities } from './server-capabilities.js';
import { describeTarget, destinationArg, type Target } from './target.js';

/** How many names a run's summary and an existing-data report list. */
export const LISTED = 100;
/** How many deleted paths a listing keeps to find the top-most ones among (beyond it, the first ones). */
export const LISTING_LIMIT = 100_000;
/** The run options of a listing: a dry run without a deletion limit, every deletion collected, no events. */
export const DRY_LISTING = { maxDelete: null, dryRun: true, listAll: true, quiet: true } as const;

/** The first LISTED top-most paths of a listing, for people (a directory keeps its trailing "/"). */
export function sampleOf(paths: readonly string[]): string[] {
  return topMost(paths)
    .slice(0, LISTED)
    .map((p) => display(p));
}

/**
 * Splits the paths a listing would delete (a directory ends in "/") into those at or below an old path a queued
 * move or deletion still owes (counted: they are expected to go) and the rest.
 */
export function splitOwed(
  paths: readonly string[],
  owed: ReadonlySet<RelPath>,
): { owed: number; rest: string[] } {
  if (owed.size === 0) return { owed: 0, rest: [...paths] };
  const isOwed = (rel: RelPath): boolean => {
    if (owed.has(rel)) return true;
    for (const dir of ancestors(rel)) if (owed.has(dir)) return true;
    return false;
  };
  let count = 0;
  const rest: string[] = [];
  for (const listed of paths) {
    if (isOwed(listed.replace(/\/$/, '') as RelPath)) count++;
    else rest.push(listed);
  }
  return { owed: count, rest };
}

export interface CompareRequest {
  rsync: string;
  folder: string;
  target: Target;
  options: RsyncOptions;
  password: string | null;
  passwordFile: string | null;
  /** Glob excludes in rsync syntax: excluded entries are neither sent nor deleted, so not counted. */
  excludeGlobs: readonly string[];
  capabilities: ServerCapabilities;
  /** Default mirror; "versions" leaves the versions folder out of both counts. */
  deletion?: DeletionPolicy;
}

export interface TargetComparison {
  /** Entries the target path holds (0: empty or missing). */
  entries: number;
  /** Of them, entries the folder doesn't have: what a mirror would delete. */
  foreign: number;
  /** The first LISTED top-most foreign entries for display (a directory ends in "/"). */
  sample: string[];
}

export type CompareOutcome = { ok: true; comparison: TargetComparison } | { ok: false; error: Classified };

/** Lists the target path against the folder; changes nothing (two dry runs). */
export async function compareTarget(request: CompareRequest): Promise<CompareOutcome> {
  const foreign = await listDeletions(request, request.folder);
  if (!foreign.ok) return foreign;
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-empty-'));
  try {
    const all = await listDeletions(request, empty);
    if (!all.ok) return all;
    return {
      ok: true,
      comparison: {
        // A name added between the two runs must not make the foreign entries outnumber the path's.
        entries: Math.max(all.count, foreign.count),
        foreign: foreign.count,
        sample: sampleOf(foreign.paths),
      },
    };
  } finally {
    await fs.rm(empty, { recursive: true, force: true });
  }
}

type Deletions = { ok: true; count: number; paths: RelPath[] } | { ok: false; error: Classified };

/** What a dry-run full sync of `source` to the target would delete: the first sync's listing. */
async function listDeletions(request: CompareRequest, source: string): Promise<Deletions> {
  const plan = planRun(
    { kind: 'full', reason: 'list existing data' },
    {
      folder: source,
      target: request.target,
      deletion: request.deletion ?? 'mirror',
      options: request.options,
      passwordFile: request.passwordFile,
      excludeGlobs: request.excludeGlobs,
      excludedPaths: [],
      keptPaths: [],
      today: new Date().toISOString().slice(0, 10),
      capabilities: request.capabilities,
      maxDelete: DRY_LISTING.maxDelete,
      dryRun: DRY_LISTING.dryRun,
    },
  );
  let count = 0;
  const paths: RelPath[] = [];
  const result = await runRsync({
    rsync: request.rsync,
    args: plan.args,
    input: plan.input,
    password: request.password,
    onItem: (item) => {
      if (item.type !== 'file' || !item.deleted) return;
      count++;
      if (paths.length < LISTING_LIMIT) paths.push((item.isDir ? `${item.path}/` : item.path) as RelPath);
    },
  });
  const reading = readOutcome(result, {
    folder: source,
    label: describeTarget(request.target),
    user: request.target.kind === 'local' ? null : request.target.user,
  });
  // Exit 24: a file of the folder vanished while it was listed, which changes nothing on the target.
  if (!reading.ok && reading.error && result.exitCode !== 24) return { ok: false, error: reading.error };
  return { ok: true, count, paths };
}

/** A sub-path of the target named after this host and folder, as a full target to pair with instead. */
export function suggestSubPath(target: Target, folder: string, hostname = os.hostname()): string {
  const clean = (text: string): string => text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  const name =
    [clean(hostname.split('.')[0] ?? ''), clean(path.basename(folder))].filter(Boolean).join('-') ||
    'rsync-live';
  switch (target.kind) {
    case 'daemon':
      return destinationArg({ ...target, path: target.path ? `${target.path}/${name}` : name }).replace(
        /\/$/,
        '',
      );
    case 'ssh':
      return destinationArg({
        ...target,
        path: target.path ? `${target.path.replace(/\/$/, '')}/${name}` : name,
      }).replace(/\/$/, '');
    case 'local':
      return path.join(target.path, name);
  }
}
