// How restore reaches a target for reading: the access (target, password file or in-memory password, the
// pair's timeouts), the source argument rsync pulls from, the options every read sends, and one rsync run that
// captures stdout as bytes. The password only ever reaches rsync through --password-file or RSYNC_PASSWORD.
import { rsyncOptionsSchema, type RsyncOptions } from '../../shared/config.js';
import type { EngineTargetConfig } from '../pair-types.js';
import { classifyFailure, withoutRetry } from '../rsync/exit-codes.js';
import { withParentDeathSignal } from '../rsync/parent-death.js';
import { describeTarget, parseTarget, type Target } from '../rsync/target.js';
import { RestoreError, type TargetAccess } from './types.js';

/** The access for one configured target: its URL, password (file or in-memory) and the pair's rsync options. */
export function targetAccess(
  config: EngineTargetConfig,
  pairOptions: Partial<RsyncOptions> = {},
  rsync = 'rsync',
): TargetAccess {
  return accessFromUrl(config.url, {
    rsync,
    password: config.password ?? null,
    passwordFile: config.passwordFile ?? null,
    options: { ...pairOptions, ...config.rsync },
  });
}

/** The access for a target as the user typed it (CLI); throws TargetSyntaxError for a bad target. */
export function accessFromUrl(
  url: string,
  extra: {
    rsync?: string;
    password?: string | null;
    passwordFile?: string | null;
    options?: Partial<RsyncOptions>;
  } = {},
): TargetAccess {
  const target = parseTarget(url);
  const passwordFile = extra.passwordFile ?? null;
  return {
    target,
    label: describeTarget(target),
    rsync: extra.rsync ?? 'rsync',
    password: passwordFile ? null : (extra.password ?? null),
    passwordFile,
    options: rsyncOptionsSchema.parse({ ...extra.options, extraArgs: [] }),
  };
}

const WILDCARD = /[*?[]/;

/** A path for a rsync filter rule that has wildcards of its own: every wildcard char and backslash escaped. */
export function escapeWildcards(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}

/**
 * A path for a place where rsync matches wildcards (a remote source argument, a filter rule): taken literally
 * when it has none (then backslashes are literal too), escaped when it has some.
 */
export function literalPattern(text: string): string {
  return WILDCARD.test(text) ? escapeWildcards(text) : text;
}

/**
 * The source argument for a directory below the target's root ("" = the root), ending in "/" (its contents).
 * `sub` must be text rsync can take in argv (the engine passes only the target's own path and a versions
 * date here; byte paths go through --files-from or filter rules on stdin).
 */
export function sourceArg(target: Target, sub: string): string {
  const joined = [target.path, sub].filter((part) => part !== '').join('/');
  switch (target.kind) {
    case 'local': {
      const base = target.path === '/' ? '' : target.path;
      return `${base}${sub === '' ? '' : `/${sub}`}/`;
    }
    case 'ssh': {
      const user = target.user ? `${target.user}@` : '';
      return `${user}${target.host}:${joined === '' ? '' : `${literalPattern(joined)}/`}`;
    }
    case 'daemon': {
      const user = target.user ? `${target.user}@` : '';
      const port = target.port === null ? '' : `:${target.port}`;
      return `rsync://${user}${target.host}${port}/${target.module}/${joined === '' ? '' : `${literalPattern(joined)}/`}`;
    }
  }
}

/** Options every read sends: timeouts, the daemon's socket options and password file, no human-readable sizes. */
export function readArgs(access: TargetAccess): string[] {
  const { target, options } = access;
  const args = ['--no-human-readable'];
  if (target.kind === 'daemon') {
    if (options.contimeoutSec > 0) args.push(`--contimeout=${options.contimeoutSec}`);
    if (access.passwordFile) args.push(`--password-file=${access.passwordFile}`);
  }
  if (target.kind === 'ssh')
    args.push(`--rsh=ssh -o BatchMode=yes -o ConnectTimeout=${options.contimeoutSec || 15}`);
  if (options.timeoutSec > 0) args.push(`--timeout=${options.timeoutSec}`);
  if (options.bwlimitKiB > 0) args.push(`--bwlimit=${options.bwlimitKiB}`);
  return args;
}

export interface Captured {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
  spawnError?: string;
}

/** One rsync run: argv only, `input` on stdin, times printed in UTC, the password in the environment only. */
export async function captureRsync(
  access: TargetAccess,
  args: readonly string[],
  input: Buffer,
  signal?: AbortSignal,
): Promise<Captured> {
  const env: Record<string, string | undefined> = { LC_ALL: 'C', TZ: 'UTC', RSYNC_PASSWORD: undefined };
  if (access.password !== null) env.RSYNC_PASSWORD = access.password;
  const [file, ...argv] = await withParentDeathSignal(access.rsync, args);
  // Loaded on the first read of a target: a watch that never restores never loads execa (issue 15).
  const { execa } = await import('execa');
  const child = await execa(file as string, argv, {
    input,
    env,
    extendEnv: true,
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    cancelSignal: signal,
    forceKillAfterDelay: 3_000,
    maxBuffer: 512 * 1024 * 1024,
    detached: file !== access.rsync,
  });
  const spawnError =
    child.failed && child.exitCode === undefined && !child.signal
      ? ((child.cause as NodeJS.ErrnoException | undefined)?.code ?? 'error')
      : undefined;
  return {
    exitCode: child.exitCode ?? null,
    stdout: Buffer.from(child.stdout as Uint8Array),
    stderr: Buffer.from(child.stderr as Uint8Array).toString('utf8'),
    ...(spawnError ? { spawnError } : {}),
  };
}

/** A failed read as a RestoreError saying what happened to which target and what to do. */
export function readFailure(access: TargetAccess, run: Captured, what: string): RestoreError {
  const classified = classifyFailure({
    target: access.label,
    user: access.target.kind === 'local' ? null : access.target.user,
    exitCode: run.exitCode,
    stderr: run.stderr,
    ...(run.spawnError ? { spawnError: run.spawnError } : {}),
  });
  return new RestoreError(`${what}: ${withoutRetry(classified.message)}`, 'target');
}
