// `rsync-live test-connection TARGET [FOLDER]`: the app's Test connection on the command line. Lists a daemon's
// modules, proves auth and write access (connection-test.ts), and with a folder says what the target path holds
// that the folder doesn't, with the sub-path to pair with instead. Exit 0 when the target works, 1 when not.
import os from 'node:os';
import path from 'node:path';
import { testConnection } from '../../engine/connection-test.js';
import { describeTargetContents, type ConnectionTestResult } from '../../shared/api.js';
import { expandHome, folderProblem } from '../../shared/folder-rules.js';
import { EXIT, parseCommandArgs, UsageError, type CliIo, type Command } from '../command.js';

/** The test's outcome as lines for a terminal. */
export function formatConnectionTest(result: ConnectionTestResult): string[] {
  const lines: string[] = [];
  if (result.modules.length > 0) lines.push(`modules: ${result.modules.join(', ')}`);
  if (result.authOk !== null) lines.push(result.authOk ? 'authentication ok' : 'authentication failed');
  if (result.writable !== null) lines.push(result.writable ? 'write access ok' : 'cannot write');
  if (result.server) {
    lines.push(`server: ${result.server.summary}`);
    for (const note of result.server.notes) lines.push(`  ${note}`);
  }
  if (result.error) lines.push(`failed: ${result.error.message}`);
  const existing = result.existing;
  if (existing) {
    lines.push(describeTargetContents(existing));
    if (existing.foreign > 0) {
      for (const entry of existing.sample) lines.push(`  ${entry}`);
      lines.push(`use sub-path: ${existing.suggestion}`);
    }
  } else if (result.existingNote) lines.push(result.existingNote);
  return lines;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { 'password-file': { type: 'string' }, timeout: { type: 'string' } },
    true,
  );
  const [url, folderArg, ...extra] = positionals;
  if (!url || extra.length > 0) throw new UsageError('test-connection needs a target and at most one folder');
  let folder: string | null = null;
  if (folderArg !== undefined) {
    const expanded = expandHome(folderArg, io.env.HOME || os.homedir());
    folder = expanded.includes('\uFFFD') ? expanded : path.resolve(io.cwd, expanded);
    const problem = folderProblem(folder);
    if (problem) throw new UsageError(problem);
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
    throw new UsageError(`--timeout takes a whole number of seconds above 0, got "${values.timeout}"`);
  const passwordFile = values['password-file'] ? path.resolve(io.cwd, values['password-file']) : null;
  const result = await testConnection({
    url,
    passwordFile,
    password: passwordFile ? null : (io.env.RSYNC_PASSWORD ?? null),
    folder,
    ...(timeout !== undefined ? { timeoutSec: timeout } : {}),
  });
  for (const line of formatConnectionTest(result)) (result.ok ? io.out : io.err)(line);
  return result.ok ? EXIT.ok : EXIT.failure;
}

export const testConnectionCommand: Command = {
  name: 'test-connection',
  summary: 'rsync-live test-connection TARGET [FOLDER]      test a target (and what it holds against FOLDER)',
  usage: `Usage: rsync-live test-connection TARGET [FOLDER] [--password-file FILE] [--timeout SEC]
Test a target as the app's Test connection does: list the daemon's modules, check authentication and write
access (a small probe file is written and deleted again). With FOLDER, also say what the target path holds that
FOLDER doesn't ("this path holds 202 entries, 201 not in your folder"; each file, directory and link is one
entry), list the first 100 of them, and suggest a sub-path named after this host and FOLDER. Only dry runs:
nothing of FOLDER is sent and nothing is deleted. Exit 0 when the target works, 1 when it doesn't.

TARGET   rsync://[user@]host[:port]/module[/path], [user@]host::module[/path], [user@]host:path (ssh),
         or an absolute local directory. Never put a password in the URL: use --password-file or RSYNC_PASSWORD.

Options:
  --password-file FILE   daemon password file (mode 0600); RSYNC_PASSWORD is honoured too
  --timeout SEC          connection and I/O timeout in seconds (default 10)
  -h, --help             this help`,
  run,
};
