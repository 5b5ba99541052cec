// "Test connection": lists a daemon's modules, then proves auth and write access by writing a small probe
// file into the target and deleting it again, with the exact reason when any step fails.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionTestResult } from '../shared/api.js';
import { classifyFailure } from './rsync/exit-codes.js';
import { runRsync } from './rsync/runner.js';
import { describeTarget, destinationArg, parseTarget, type Target } from './rsync/target.js';

export interface ConnectionTestOptions {
  url: string;
  password?: string | null;
  passwordFile?: string | null;
  rsync?: string;
  timeoutSec?: number;
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

export async function testConnection(options: ConnectionTestOptions): Promise<ConnectionTestResult> {
  const rsync = options.rsync ?? 'rsync';
  const result: ConnectionTestResult = { ok: false, modules: [], authOk: null, writable: null, error: null };
  let target: Target;
  try {
    target = parseTarget(options.url);
  } catch (error) {
    result.error = { kind: 'bad-config', message: (error as Error).message };
    return result;
  }
  const label = describeTarget(target);
  const password = options.passwordFile ? null : (options.password ?? null);
  const fail = (exitCode: number | null, stderr: string, spawnError?: string): ConnectionTestResult => {
    const classified = classifyFailure({
      target: label,
      user: target.kind === 'local' ? null : target.user,
      exitCode,
      stderr,
      ...(spawnError ? { spawnError } : {}),
    });
    result.error = {
      kind: classified.kind,
      message: classified.message.replace(/; retrying$|; Retrying$| Retrying$/i, ''),
    };
    return result;
  };

  if (target.kind === 'daemon') {
    const port = target.port === null ? '' : `:${target.port}`;
    const listing = await captureStdout(rsync, [
      ...authArgs(target, options),
      `rsync://${target.host}${port}/`,
    ]);
    if (listing.exitCode !== 0) return fail(listing.exitCode, listing.stderr, listing.spawnError);
    result.modules = parseModuleList(listing.stdout);
  }

  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-probe-'));
  try {
    await fs.writeFile(path.join(scratch, PROBE), 'rsync-live write test; safe to delete\n');
    const dest = destinationArg(target);
    const common = [
      ...authArgs(target, options),
      '-rt',
      '--from0',
      '--files-from=-',
      ...(target.kind === 'local' || target.path !== '' ? ['--mkpath'] : []),
    ];
    const put = await runRsync({
      rsync,
      args: [...common, `${scratch}/`, dest],
      input: Buffer.from(`${PROBE}\0`),
      password,
    });
    if (put.exitCode !== 0) return fail(put.exitCode, put.stderr, put.spawnError);
    result.authOk = target.kind === 'daemon' ? true : null;
    await fs.rm(path.join(scratch, PROBE));
    const remove = await runRsync({
      rsync,
      args: [...common, '--delete-missing-args', `${scratch}/`, dest],
      input: Buffer.from(`${PROBE}\0`),
      password,
    });
    if (remove.exitCode !== 0) return fail(remove.exitCode, remove.stderr, remove.spawnError);
    result.writable = true;
    result.ok = true;
    return result;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
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
