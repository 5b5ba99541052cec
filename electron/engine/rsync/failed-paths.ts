// Reads which files a partly failed rsync run (exit 23/24) could not send from its stderr, so that only those
// are retried instead of the whole batch (which, compared by content, would re-read every file of it on each
// retry). Any message it cannot tie to a path of the folder makes it give up: the caller then retries all.
import type { RelPath } from '../byte-path.js';
import { unescapeName } from './output.js';

/** rsync's summary line and lines that name no file; everything else must name a path of the folder. */
const HARMLESS = /^(rsync error: (some files|some files\/attrs) |rsync warning: some files vanished)/;
/** The quoted path in a per-file message, e.g. `send_files failed to open "PATH": Permission denied (13)`. */
const QUOTED = /"(.*)"(?=: | failed)/;
const VANISHED = /^file has vanished: "(.*)"$/;

/**
 * The folder-relative paths (latin1 byte strings) that rsync reported as failed, or null when some message
 * names no path inside `folder` or nothing at all was named. rsync runs with LC_ALL=C, so every byte outside
 * printable ASCII arrives escaped as \#ooo.
 */
export function failedPaths(stderr: string, folder: string): RelPath[] | null {
  const root = `${Buffer.from(folder.replace(/\/+$/, ''), 'utf8').toString('latin1')}/`;
  const found = new Set<RelPath>();
  for (const line of stderr.split('\n')) {
    if (line.trim() === '' || HARMLESS.test(line)) continue;
    const quoted =
      VANISHED.exec(line)?.[1] ?? (line.startsWith('rsync: [sender] ') ? QUOTED.exec(line)?.[1] : null);
    if (quoted === undefined || quoted === null) return null;
    const name = unescapeName(quoted);
    if (!name.startsWith(root)) return null;
    const rel = name.slice(root.length).replace(/^(\.\/)+/, '');
    if (rel === '') return null;
    found.add(rel as RelPath);
  }
  return found.size > 0 ? [...found] : null;
}
