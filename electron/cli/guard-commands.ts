// `rsync-live deletions FOLDER` (what the delete guard holds for a folder) and `rsync-live confirm-deletions
// FOLDER` (let them go): answers a running rsync-live without a restart. The running engine keeps its tripped
// guard in the state directory and looks for a confirmation beside it every 2 s while something waits.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { confirmFileName, guardFileName, readGuardFile } from '../engine/guard-store.js';
import { writeFileAtomic } from '../engine/atomic-file.js';
import { defaultStateDir } from '../service/xdg-dirs.js';
import type { CliIo } from './main.js';

export const GUARD_USAGE = `Usage:
  rsync-live deletions FOLDER [--state-dir DIR]           show what the delete guard holds for FOLDER
  rsync-live confirm-deletions FOLDER [--state-dir DIR]   let the held deletions go (a running rsync-live
                                                          picks this up within 2 s; else its next start does)`;

function parse(argv: string[], io: CliIo): { folder: string; stateDir: string } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'state-dir': { type: 'string' } },
  });
  const [folder, ...extra] = positionals;
  if (!folder || extra.length > 0) throw new GuardUsageError('give exactly one folder');
  return {
    folder: path.resolve(io.cwd, folder).replace(/(.)\/+$/, '$1'),
    stateDir: values['state-dir'] ? path.resolve(io.cwd, values['state-dir']) : defaultStateDir(io.env),
  };
}

export class GuardUsageError extends Error {}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function deletionsCommand(argv: string[], io: CliIo): Promise<number> {
  const { folder, stateDir } = parse(argv, io);
  const guard = await readGuardFile(guardFileName(stateDir, folder), folder);
  if (!guard) {
    io.out(`no deletions are held for ${folder}`);
    return 0;
  }
  io.out(guard.message);
  io.out(
    `since ${guard.since}; ${guard.held ?? 0} entries held${alive(guard.pid) ? ` by rsync-live (pid ${guard.pid})` : ''}`,
  );
  const paths = guard.paths ?? [];
  for (const p of paths) io.out(`  ${p}`);
  io.out(`to let them go: rsync-live confirm-deletions ${folder}`);
  return 0;
}

export async function confirmDeletionsCommand(argv: string[], io: CliIo): Promise<number> {
  const { folder, stateDir } = parse(argv, io);
  const guard = await readGuardFile(guardFileName(stateDir, folder), folder);
  await writeFileAtomic(confirmFileName(stateDir, folder), new Date().toISOString());
  if (guard && alive(guard.pid)) {
    io.out(
      `asked rsync-live (pid ${guard.pid}) to let the held deletions of ${folder} go: ${guard.held ?? 0} entries`,
    );
  } else if (guard) {
    io.out(
      `no rsync-live runs for ${folder} now: the ${guard.held ?? 0} held entries are deleted when it next starts (the confirmation is kept for 10 minutes)`,
    );
  } else {
    io.out(
      `no deletions are held for ${folder} now; a running rsync-live whose first sync waits for your choice about data already on the target mirrors it (the confirmation is kept for 10 minutes)`,
    );
  }
  return 0;
}

/** Removes a confirmation (tests). */
export async function clearConfirmation(stateDir: string, folder: string): Promise<void> {
  await fs.rm(confirmFileName(stateDir, folder), { force: true });
}
