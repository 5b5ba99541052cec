// The "Import sersync config" view's words and helpers: reading the picked file, splitting a located message
// ("confxml.xml:25:45: …") into its line and text, and describing an imported pair (deletions, excludes, full
// syncs, rsync options) for the preview. Pure functions apart from readConfigFile.
import type { PairView } from '../../../electron/shared/api.ts';

/** The longest text importSersync takes (the API's limit). */
export const MAX_XML_CHARS = 1_000_000;
/** A file larger than this is not read at all (even as 4-byte UTF-8 it would be over the limit). */
const MAX_FILE_BYTES = 4 * MAX_XML_CHARS;

export class ConfigFileError extends Error {}

/**
 * The text of a picked confxml.xml. UTF-8 when the bytes are UTF-8 (Chinese folder names usually are,
 * whatever the file declares), Latin-1 otherwise, as the command line reads it.
 */
export async function readConfigFile(file: File): Promise<string> {
  if (file.size > MAX_FILE_BYTES) throw new ConfigFileError(`${file.name} is too large for a confxml.xml`);
  let text = await file.text();
  if (text.includes('\uFFFD')) text = new TextDecoder('latin1').decode(await file.arrayBuffer());
  text = text.replace(/^\uFEFF/, '');
  if (text.length > MAX_XML_CHARS)
    throw new ConfigFileError(`${file.name} is too large for a confxml.xml (over 1,000,000 characters)`);
  return text;
}

export interface Located {
  /** The file's name as the message gives it. */
  file: string | null;
  line: number | null;
  column: number | null;
  text: string;
}

/**
 * A message from the import as file, line, column and text: "confxml.xml:25:45: <remote> …" →
 * {file: "confxml.xml", line: 25, column: 45, text: "<remote> …"}; "confxml.xml: …" (no line) → line null.
 * `label` is the name the file was sent under, to recognize messages without a line.
 */
export function locate(message: string, label: string): Located {
  const m = /^(.*?):(\d+)(?::(\d+))?: ([\s\S]*)$/.exec(message);
  if (m)
    return { file: m[1] ?? null, line: Number(m[2]), column: m[3] ? Number(m[3]) : null, text: m[4] ?? '' };
  if (message.startsWith(`${label}: `))
    return { file: label, line: null, column: null, text: message.slice(label.length + 2) };
  return { file: null, line: null, column: null, text: message };
}

/** "Line 25, column 45" / "Line 3" / null. */
export function whereText(located: Located): string | null {
  if (located.line === null) return null;
  return located.column === null ? `Line ${located.line}` : `Line ${located.line}, column ${located.column}`;
}

/** Start and end offsets of a 1-based line in the text (for selecting it in the textarea). */
export function lineRange(text: string, line: number): [number, number] {
  let start = 0;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return [text.length, text.length];
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return [start, end < 0 ? text.length : end];
}

export function folderCount(n: number): string {
  return n === 1 ? '1 folder' : `${n} folders`;
}

export function importLabel(n: number): string {
  return n === 0 ? 'Nothing to import' : `Import ${folderCount(n)}`;
}

export function deletionText(policy: PairView['deletion']): string {
  switch (policy) {
    case 'mirror':
      return 'Mirror: deletions are made on the targets too';
    case 'keep':
      return 'Keep: nothing is ever deleted on the targets';
    case 'versions':
      return 'Versions: replaced and deleted files are kept in .rsync-live-versions/';
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "4 patterns (regular expressions)", "none", plus the crontabfilter ones for scheduled full syncs. */
export function excludesText(pair: Pick<PairView, 'excludes' | 'fullSync'>): string {
  const live = pair.excludes.regex.length + pair.excludes.glob.length;
  const kinds = [
    pair.excludes.regex.length > 0 ? 'regular expressions' : null,
    pair.excludes.glob.length > 0 ? 'globs' : null,
  ].filter(Boolean);
  let text = live === 0 ? 'none' : `${plural(live, 'pattern', 'patterns')} (${kinds.join(' and ')})`;
  const scheduled = pair.fullSync.excludes.length;
  if (scheduled > 0) text += `; ${scheduled} more for scheduled full syncs only`;
  return text;
}

// A cron schedule from the import in words: "every 8 hours (0 */8 * * *)", or "cron EXPR".
export function cronText(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  let words: string | null = null;
  if (fields.length === 5) {
    const [minute, hour, day, month, weekday] = fields;
    const rest = `${day} ${month} ${weekday}`;
    const every = /^\*\/(\d+)$/;
    if (every.test(minute ?? '') && hour === '*' && rest === '* * *')
      words = `every ${plural(Number(every.exec(minute ?? '')?.[1]), 'minute', 'minutes')}`;
    else if (minute === '*' && hour === '*' && rest === '* * *') words = 'every minute';
    else if (minute === '0' && hour === '*' && rest === '* * *') words = 'every hour';
    else if (minute === '0' && every.test(hour ?? '') && rest === '* * *')
      words = `every ${plural(Number(every.exec(hour ?? '')?.[1]), 'hour', 'hours')}`;
    else if (minute === '0' && hour === '0' && rest === '* * *') words = 'every day at midnight';
    else if (minute === '0' && hour === '0' && rest === '* * 0') words = 'every Sunday at midnight';
  }
  return words ? `${words} (${cron})` : `cron ${cron}`;
}

// "at start, then every 8 hours (0 */8 * * *)" / "at start only" / "none".
export function fullSyncText(fullSync: PairView['fullSync']): string {
  const scheduled = fullSync.schedule ? cronText(fullSync.schedule) : null;
  if (fullSync.onStart) return scheduled ? `at start, then ${scheduled}` : 'at start only';
  return scheduled ?? 'none';
}

/** The rsync options that differ from a plain `-a`: "-u -z; timeout 100 s; bandwidth 512 KiB/s". */
export function rsyncText(rsync: PairView['rsync']): string {
  const parts = [
    rsync.extraArgs.length > 0 ? rsync.extraArgs.join(' ') : 'no extra options',
    rsync.timeoutSec > 0 ? `I/O timeout ${rsync.timeoutSec} s` : 'no I/O timeout',
  ];
  if (rsync.bwlimitKiB > 0) parts.push(`at most ${rsync.bwlimitKiB} KiB/s`);
  return parts.join('; ');
}
