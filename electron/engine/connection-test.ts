// "Test connection": lists a daemon's modules, learns what the server's rsync accepts (the dry runs every
// target starts with), then proves auth and write access by writing a small probe file into the target and
// deleting it again with the options real syncs send, with the exact reason when any step fails. Given the
// pair's folder, it then lists what the target path holds that the folder doesn't (target-listing.ts).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionTestResult } from '../shared/api.js';
import { rsyncOptionsSchema, type DeletionPolicy, type RsyncOptions } from '../shared/config.js';
import { DEFAULT_TEMPORARY_GLOBS } from './excludes.js';
import {
  describeCapabilities,
  fallbacks,
  probeCapabilities,
  refusalMessage,
  type ServerCapabilities,
} from './rsync/capabilities.js';
import { buildArgs } from './rsync/command.js';
import { ensureTargetPath } from './rsync/ensure-path.js';
import { classifyFailure, OPTION_SINCE, withoutRetry, type FailureContext } from './rsync/exit-codes.js';
import { runRsync } from './rsync/runner.js';
import { compareTarget, suggestSubPath } from './rsync/target-listing.js';
import { describeTarget, parseTarget, type Target } from './rsync/target.js';

export interface ConnectionTestOptions {
  url: string;
  password?: string | null;
  passwordFile?: string | null;
  rsync?: string;
  timeoutSec?: number;
  /** The pair's rsync options (extraArgs, timeouts), so the test sends what its syncs send; default: defaults. */
  options?: Partial<RsyncOptions>;
  /** The pair's folder: when given, the target path's entries are compared with it (`result.existing`). */
  folder?: string | null;
  /** The pair's glob excludes in rsync syntax (default: a new pair's, the temporary-file globs). */
  excludeGlobs?: readonly string[];
  /** The pair's deletion policy (default mirror). */
  deletion?: DeletionPolicy;
}

const PROBE = '.rsync-live-write-test';

function authArgs(target: Target, options: ConnectionTestOptions): string[] {
  const timeout = options.timeoutSec ?? 10;
  const args = [`--timeout=${timeout}`];
  if (target.kind === 'daemon') {
    args.push('--sockopts=TCP_NODELAY', `--contimeout=${timeout}`);
    if (options.passwordFile) args.push(`--password-file=${options.passwordFile}`);
  }
  return args;
}

/** Module names from `rsync rsync://host/` output ("name<TAB>comment" lines). */
export function parseModuleList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.split('\t')[0]?.trim() ?? '')
    .filter((name) => name !== '' && !name.startsWith('@') && !/\s/.test(name));
}

export async function testConnection(options_: ConnectionTestOptions): Promise<ConnectionTestResult> {
  const rsync = options_.rsync ?? 'rsync';
  const result: ConnectionTestResult = { ok: false, modules: [], authOk: null, writable: null, error: null };
  let target: Target;
  try {
    target = parseTarget(options_.url);
  } catch (error) {
    result.error = { kind: 'bad-config', message: (error as Error).message };
    return result;
  }
  const label = describeTarget(target);
  const password = options_.passwordFile ? null : (options_.password ?? null);
  const passwordFile = options_.passwordFile ?? null;
  const fail = (
    exitCode: number | null,
    stderr: string,
    spawnError?: string,
    refused?: FailureContext['refused'],
  ): ConnectionTestResult => {
    const classified = classifyFailure({
      target: label,
      user: target.kind === 'local' ? null : target.user,
      exitCode,
      stderr,
      ...(spawnError ? { spawnError } : {}),
      ...(refused ? { refused } : {}),
    });
    result.error = { kind: classified.kind, message: withoutRetry(classified.message) };
    return result;
  };
  const timeout = options_.timeoutSec ?? 10;
  const options = rsyncOptionsSchema.parse({
    timeoutSec: timeout,
    contimeoutSec: timeout,
    ...options_.options,
  });

  if (target.kind === 'daemon') {
    const port = target.port === null ? '' : `:${target.port}`;
    const listing = await captureStdout(rsync, [
      ...authArgs(target, options_),
      `rsync://${target.host}${port}/`,
    ]);
    if (listing.exitCode !== 0) return fail(listing.exitCode, listing.stderr, listing.spawnError);
    result.modules = parseModuleList(listing.stdout);
  }

  // The capability probe every target starts with: what this server accepts decides the options below.
  const probed = await probeCapabilities({
    rsync,
    target,
    deletion: 'mirror',
    options,
    password,
    passwordFile,
    refresh: true,
  });
  if (!probed.ok) {
    const r = probed.result;
    const refused = probed.refused && {
      options: probed.refused,
      needs: probed.refused.map((arg) => OPTION_SINCE[arg]).find((v) => v !== undefined) ?? null,
      instead: `real syncs would fail the same way: remove ${probed.refused.length > 1 ? 'them' : 'it'} from the pair's or target's rsync.extraArgs, or upgrade rsync on the server`,
    };
    return fail(r.exitCode, r.stderr, r.spawnError, refused);
  }
  const caps: ServerCapabilities = probed.capabilities;
  if (target.kind !== 'local') {
    result.server = {
      version: caps.version,
      mkpath: caps.mkpath,
      modifyWindowNs: caps.modifyWindowNs,
      nestedDeletes: caps.nestedDeletes,
      summary: describeCapabilities(caps),
      notes: fallbacks(caps).map((f) => refusalMessage(label, f)),
    };
  }
  if (!caps.mkpath) {
    const made = await ensureTargetPath({ rsync, target, options, password, passwordFile });
    if (made && made.exitCode !== 0) return fail(made.exitCode, made.stderr, made.spawnError);
  }

  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-probe-'));
  try {
    await fs.writeFile(path.join(scratch, PROBE), 'rsync-live write test; safe to delete\n');
    // Exactly what a live sync of one listed path sends (mirror: a missing listed path is deleted).
    const args = buildArgs({
      kind: 'paths',
      folder: scratch,
      target,
      deletion: 'mirror',
      options,
      passwordFile,
      excludeGlobs: [],
      today: new Date().toISOString().slice(0, 10),
      capabilities: caps,
    });
    const put = await runRsync({ rsync, args, input: Buffer.from(`${PROBE}\0`), password });
    if (put.exitCode !== 0) return fail(put.exitCode, put.stderr, put.spawnError);
    result.authOk = target.kind === 'daemon' ? true : null;
    await fs.rm(path.join(scratch, PROBE));
    const remove = await runRsync({ rsync, args, input: Buffer.from(`${PROBE}\0`), password });
    if (remove.exitCode !== 0) return fail(remove.exitCode, remove.stderr, remove.spawnError);
    result.writable = true;
    result.ok = true;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  if (options_.folder) {
    await compareWithFolder(result, options_.folder, options_, {
      rsync,
      target,
      options,
      caps,
      password,
      passwordFile,
    });
  }
  return result;
}

/** Adds what the target path holds against the folder to a passed test (or why it could not be listed). */
async function compareWithFolder(
  result: ConnectionTestResult,
  folder: string,
  request: ConnectionTestOptions,
  run: {
    rsync: string;
    target: Target;
    options: RsyncOptions;
    caps: ServerCapabilities;
    password: string | null;
    passwordFile: string | null;
  },
): Promise<void> {
  const isDir = await fs.stat(folder).then(
    (stat) => stat.isDirectory(),
    () => false,
  );
  if (!isDir) {
    result.existingNote = `folder ${folder} is not a directory on this machine, so the target path was not compared with it: check the folder's path`;
    return;
  }
  const compared = await compareTarget({
    rsync: run.rsync,
    folder,
    target: run.target,
    options: run.options,
    password: run.password,
    passwordFile: run.passwordFile,
    excludeGlobs: request.excludeGlobs ?? DEFAULT_TEMPORARY_GLOBS,
    capabilities: run.caps,
    ...(request.deletion ? { deletion: request.deletion } : {}),
  });
  if (!compared.ok) {
    result.existingNote = `could not list what ${describeTarget(run.target)} holds against ${folder}: ${withoutRetry(compared.error.message)}`;
    return;
  }
  result.existing = { ...compared.comparison, suggestion: suggestSubPath(run.target, folder) };
}

async function captureStdout(
  rsync: string,
  args: string[],
): Promise<{ exitCode: number | null; stdout: string; stderr: string; spawnError?: string }> {
  const { execa } = await import('execa');
  const child = await execa(rsync, args, {
    reject: false,
    env: { LC_ALL: 'C', RSYNC_PASSWORD: undefined },
    input: '',
  });
  const spawnError =
    child.failed && child.exitCode === undefined
      ? ((child.cause as NodeJS.ErrnoException)?.code ?? 'error')
      : undefined;
  return {
    exitCode: child.exitCode ?? null,
    stdout: String(child.stdout),
    stderr: String(child.stderr),
    ...(spawnError ? { spawnError } : {}),
  };
}
