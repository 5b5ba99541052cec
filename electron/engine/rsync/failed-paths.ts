// Reads which files a partly failed rsync run (exit 23/24) could not send from its stderr, so that only those
// are retried instead of the whole batch (which, compared by content, would re-read every file of it on each
// retry). Any message it cannot tie to a path of the folder makes it give up: the caller then retries all.
import type { RelPath } from '../byte-path.js';
import { unescapeName } from './output.js';

/**
 * rsync's summary line and lines that name no failure; everything else must name a path of the folder. A file
 * whose data did not match its checksum (it changed while sent) is sent again by rsync itself in the same run
 * ("will try again"); only an "ERROR: … failed verification" after that is a failure.
 */
const HARMLESS =
  /^(rsync error: (some files|some files\/attrs) |rsync warning: some files vanished|WARNING: .* failed verification -- update discarded \(will try again\)\.$)/;
/** The quoted path in a per-file message, e.g. `send_files failed to open "PATH": Permission denied (13)`. */
const QUOTED = /"(.*)"(?=: | failed)/;
const VANISHED = /^file has vanished: "(.*)"$/;
/**
 * The sender read less of a file than its size: it shrank while rsync sent it (rsync pads the rest with zeros
 * and reports ENODATA, "No data available (61)", see its fileio.c map_ptr). Normal in a live folder: the file
 * is sent again, as a vanished one is re-checked.
 */
const CHANGED_WHILE_READ = /^rsync: (?:\[sender\] )?read errors mapping "(.*)": No data available \(61\)$/;

/**
 * The folder-relative paths (latin1 byte strings) that rsync reported as failed, or null when some message
 * names no path inside `folder` or nothing at all was named. rsync runs with LC_ALL=C, so every byte outside
 * printable ASCII arrives escaped as \#ooo.
 */
export function failedPaths(stderr: string, folder: string): RelPath[] | null {
  const root = `${Buffer.from(folder.replace(/\/+$/, ''), 'utf8').toString('latin1')}/`;
  const found = new Set<RelPath>();
  for (const line of failureLines(stderr)) {
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

/**
 * Whether every file rsync named as failed (exit 23/24) vanished or changed while it was being sent, and at
 * least one is named: nothing is wrong with the target or the files, they are sent again at once.
 */
export function onlyChangedWhileSent(stderr: string): boolean {
  let named = false;
  for (const line of failureLines(stderr)) {
    if (!VANISHED.test(line) && !CHANGED_WHILE_READ.test(line)) return false;
    named = true;
  }
  return named;
}

/** The lines of rsync's stderr that may name a failed file: not blank, not HARMLESS. */
function* failureLines(stderr: string): Generator<string> {
  for (const line of stderr.split('\n')) if (line.trim() !== '' && !HARMLESS.test(line)) yield line;
}
