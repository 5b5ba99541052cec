// Parses `rsync --list-only` output (any rsync since 3.1, run with LC_ALL=C, TZ=UTC, --no-human-readable, no
// -l): one line per entry, "PERMS SIZE YYYY/MM/DD HH:MM:SS NAME". rsync escapes every control and non-ASCII
// byte of NAME (and a backslash that would look like an escape) as \#ooo, so lines split on "\n" and names
// come back byte-exact. Pure: no I/O.
import { join, type RelPath } from '../byte-path.js';
import { display } from '../byte-path.js';
import { unescapeName } from '../rsync/output.js';
import type { RemoteEntry, RemoteKind } from './types.js';

const LINE =
  /^([-dlcbpsD])[-rwxsStTl]{9}[.+@]?\s+([\d,.]+)\s+(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) (.*)$/;

function kindOf(type: string): RemoteKind {
  return type === '-' ? 'file' : type === 'd' ? 'dir' : type === 'l' ? 'symlink' : 'other';
}

/** One parsed line: the name as rsync printed it relative to the listed directory, bytes restored. */
export function parseListLine(line: string): Omit<RemoteEntry, 'path' | 'name'> & { rel: string } {
  const m = LINE.exec(line);
  if (!m) throw new Error(`unexpected line in rsync's listing: ${JSON.stringify(display(line))}`);
  const [, type, size, year, month, dayOfMonth, hour, minute, second, name] = m as unknown as string[];
  return {
    rel: unescapeName(name as string),
    kind: kindOf(type as string),
    size: Number((size as string).replace(/[,.]/g, '')),
    mtimeMs: Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(dayOfMonth),
      Number(hour),
      Number(minute),
      Number(second),
    ),
  };
}

/**
 * Every entry of a listing of `base` (a directory below the target's root, '' = the root), its "." line left
 * out. `stdout` is the raw output as a latin1 string (one char per byte).
 */
export function parseListOutput(stdout: string, base: RelPath = '' as RelPath): RemoteEntry[] {
  const entries: RemoteEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const parsed = parseListLine(line);
    if (parsed.rel === '.') continue;
    const path = join(base, parsed.rel);
    const { rel: _rel, ...rest } = parsed;
    void _rel;
    entries.push({ path, name: display(path.slice(path.lastIndexOf('/') + 1)), ...rest });
  }
  return entries;
}
