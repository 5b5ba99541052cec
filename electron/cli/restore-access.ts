// Which target `rsync-live ls` and `rsync-live restore` read, and with which password: a TARGET on the command
// line (same syntax and password handling as `watch`: --password-file 0600 or RSYNC_PASSWORD), or a configured
// pair (--config FILE --pair ID [--target ID]) with its folder, target, password file and rsync options.
import path from 'node:path';
import {
  checkPasswordFile,
  loadConfigFile,
  PasswordFileError,
  targetId,
  TargetSyntaxError,
} from '../engine/index.js';
import { accessFromUrl, targetAccess, type TargetAccess } from '../engine/restore/index.js';
import { UsageError, type CliIo } from './command.js';

export const ACCESS_OPTIONS = {
  'password-file': { type: 'string' },
  config: { type: 'string', short: 'c' },
  pair: { type: 'string' },
  target: { type: 'string' },
} as const;

export interface AccessValues {
  'password-file'?: string | undefined;
  config?: string | undefined;
  pair?: string | undefined;
  target?: string | undefined;
}

export interface ResolvedAccess {
  access: TargetAccess;
  /** The configured pair's folder (--config), else null. */
  folder: string | null;
}

/** From --config FILE --pair ID [--target ID]; throws UsageError for a missing pair or target. */
export async function accessFromConfig(
  values: AccessValues,
  io: Pick<CliIo, 'env' | 'cwd'>,
): Promise<ResolvedAccess> {
  if (!values.config || !values.pair) throw new UsageError('--config FILE and --pair ID go together');
  if (values['password-file'])
    throw new UsageError('--password-file goes with a TARGET; a configured pair uses its own password file');
  const file = await loadConfigFile(path.resolve(io.cwd, values.config));
  const pair = file.pairs.find((p) => p.id === values.pair);
  if (!pair)
    throw new UsageError(
      `config ${values.config} has no pair "${values.pair}": its pairs are ${file.pairs.map((p) => p.id).join(', ') || 'none'}`,
    );
  const index =
    values.target === undefined ? 0 : pair.targets.findIndex((t, i) => targetId(t, i) === values.target);
  const target = pair.targets[index];
  if (!target)
    throw new UsageError(
      `pair "${pair.id}" has no target "${values.target}": its targets are ${pair.targets.map((t, i) => targetId(t, i)).join(', ')}`,
    );
  if (target.passwordFile) await checkPassword(target.passwordFile);
  const password = target.passwordFile ? undefined : io.env.RSYNC_PASSWORD;
  return {
    access: targetAccess({ ...target, ...(password ? { password } : {}) }, pair.rsync),
    folder: pair.folder,
  };
}

/** From a TARGET typed on the command line. */
export async function accessFromArgs(
  url: string,
  values: AccessValues,
  io: Pick<CliIo, 'env' | 'cwd'>,
): Promise<TargetAccess> {
  if (values.pair || values.target || values.config)
    throw new UsageError('give either TARGET or --config FILE --pair ID, not both');
  const passwordFile = values['password-file'] ? path.resolve(io.cwd, values['password-file']) : null;
  if (passwordFile) await checkPassword(passwordFile);
  try {
    return accessFromUrl(url, {
      passwordFile,
      password: passwordFile ? null : (io.env.RSYNC_PASSWORD ?? null),
    });
  } catch (error) {
    if (error instanceof TargetSyntaxError) throw new UsageError(error.message);
    throw error;
  }
}

async function checkPassword(file: string): Promise<void> {
  try {
    await checkPasswordFile(file);
  } catch (error) {
    if (error instanceof PasswordFileError) throw new UsageError(`--password-file: ${error.message}`);
    throw error;
  }
}
