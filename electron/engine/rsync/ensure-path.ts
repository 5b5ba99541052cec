// Creates a target's missing sub-path on a server without --mkpath (rsync < 3.2.3): a plain recursive push of
// an empty copy of the path's directories to the module root (or the ssh login directory). Only -r is sent,
// so directories that already exist keep their permissions and times; nothing is ever deleted.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RsyncOptions } from '../../shared/config.js';
import { runRsync, type RunResult } from './runner.js';
import { destinationArg, type Target } from './target.js';

export interface EnsurePathRequest {
  rsync: string;
  target: Target;
  options: RsyncOptions;
  password: string | null;
  passwordFile: string | null;
}

/** Null when there is nothing to create (module root, local target); else rsync's result. */
export async function ensureTargetPath(request: EnsurePathRequest): Promise<RunResult | null> {
  const { target, options } = request;
  if (target.kind === 'local' || target.path === '') return null;
  const absolute = target.kind === 'ssh' && target.path.startsWith('/');
  const parts = target.path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..')) return null;
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-mkpath-'));
  try {
    await fs.mkdir(path.join(scratch, ...parts), { recursive: true, mode: 0o755 });
    const root: Target = { ...target, path: absolute ? '/' : '' };
    const args = ['-r', '--no-human-readable'];
    if (options.timeoutSec > 0) args.push(`--timeout=${options.timeoutSec}`);
    if (target.kind === 'daemon') {
      if (options.contimeoutSec > 0) args.push(`--contimeout=${options.contimeoutSec}`);
      if (request.passwordFile) args.push(`--password-file=${request.passwordFile}`);
    } else {
      args.push(`--rsh=ssh -o BatchMode=yes -o ConnectTimeout=${options.contimeoutSec || 15}`);
    }
    // Only the path's own chain is sent: the other entries of the root are not touched.
    args.push(`${scratch}/`, destinationArg(root));
    return await runRsync({ rsync: request.rsync, args, input: null, password: request.password });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
