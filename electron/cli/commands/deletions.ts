// `rsync-live deletions FOLDER` (what the delete guard holds for a folder) and `rsync-live confirm-deletions
// FOLDER` (let them go): answers a running rsync-live without a restart. The running engine keeps its tripped
// guard in the state directory and looks for a confirmation beside it every 2 s while something waits.
import path from 'node:path';
import { confirmFileName, guardFileName, readGuardFile } from '../../engine/guard-store.js';
import { writeFileAtomic } from '../../engine/atomic-file.js';
import { defaultStateDir } from '../../service/xdg-dirs.js';
import { parseCommandArgs, UsageError, type CliIo, type Command } from '../command.js';

function parse(argv: string[], io: CliIo): { folder: string; stateDir: string } {
  const { values, positionals } = parseCommandArgs(argv, { 'state-dir': { type: 'string' } }, true);
  const [folder, ...extra] = positionals;
  if (!folder || extra.length > 0) throw new UsageError('give exactly one folder');
  return {
    folder: path.resolve(io.cwd, folder).replace(/(.)\/+$/, '$1'),
    stateDir: values['state-dir'] ? path.resolve(io.cwd, values['state-dir']) : defaultStateDir(io.env),
  };
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function showDeletions(argv: string[], io: CliIo): Promise<number> {
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

async function confirmDeletions(argv: string[], io: CliIo): Promise<number> {
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

export const deletionsCommand: Command = {
  name: 'deletions',
  summary: 'rsync-live deletions FOLDER                     show what the delete guard holds for a folder',
  usage: `Usage: rsync-live deletions FOLDER [--state-dir DIR]
Show what the delete guard holds back for FOLDER: why, since when, how many entries, and the first paths.

Options:
  --state-dir DIR        where rsync-live keeps its state (default ~/.local/state/rsync-live)
  -h, --help             this help`,
  run: showDeletions,
};

export const confirmDeletionsCommand: Command = {
  name: 'confirm-deletions',
  summary: 'rsync-live confirm-deletions FOLDER             let them go (answers a running rsync-live)',
  usage: `Usage: rsync-live confirm-deletions FOLDER [--state-dir DIR]
Let the deletions the delete guard holds for FOLDER go, or (on a new pair) delete what its target holds that
FOLDER doesn't. A running rsync-live picks this up within 2 s, without a restart; if none runs, its next start
does (the confirmation is kept for 10 minutes).

Options:
  --state-dir DIR        where rsync-live keeps its state (default ~/.local/state/rsync-live)
  -h, --help             this help`,
  run: confirmDeletions,
};
