// Parses rsync's stdout as it streams: itemized lines (our --out-format) become file events, --info=progress2
// lines become progress, and the totals of --info=stats2 (bulk runs) become stats. Works on latin1 text so
// names keep their exact bytes. Pure.
import { MOVE_OUT_MARKER, OUT_MARKER } from './command.js';

export type OutputItem =
  | {
      type: 'file';
      path: string;
      /** Bytes on the wire (move runs' MOVE_OUT_FORMAT only), null otherwise. */
      bytes: number | null;
      /** The file's size (%l). */
      size: number;
      deleted: boolean;
      /** Created or updated on the target: sent ("<", ">"), made there ("c") or hard-linked ("h"). */
      transferred: boolean;
      /** Its data is sent ("<", or ">" to a local target): the progress lines that follow are this file's. */
      data: boolean;
      /** New on the receiving side (itemized "+++++++++"): it was not there before this run. */
      created: boolean;
      isDir: boolean;
    }
  | {
      type: 'progress';
      bytes: number;
      percent: number;
      rate: string;
      /** The rate in bytes per second (rsync's kB/MB/GB are powers of 1024), null if unreadable. */
      bytesPerSecond: number | null;
      /** Files still to check of `total` (progress2's to-chk=N/M), null before the first file is done. */
      remaining: number | null;
      total: number | null;
      /** Time left for the run by rsync's estimate (H:MM:SS), null on a line that ends a file (elapsed time). */
      etaSeconds: number | null;
      /** The line rsync prints when a file is done ("(xfr#N, …)"). */
      fileDone: boolean;
    }
  | {
      /** One of the totals --info=stats2 prints at the end of a run (rsync 3.1.0 and later). */
      type: 'stat';
      /** files: regular files sent; bytes: their size; deleted: entries deleted on the receiving side. */
      name: StatName;
      value: number;
    };

export type StatName = 'files' | 'bytes' | 'deleted';

/** The --info=stats2 lines read, by their label (digits may carry separators without --no-human-readable). */
const STATS: readonly (readonly [StatName, RegExp])[] = [
  ['files', /^Number of regular files transferred: ([\d,.]+)$/],
  ['bytes', /^Total transferred file size: ([\d,.]+) bytes$/],
  ['deleted', /^Number of deleted files: ([\d,.]+)/],
];

/** rsync prints non-printable bytes as \#ooo; this restores the original bytes (as latin1 chars). */
export function unescapeName(name: string): string {
  return name.replace(/\\#([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

const RATE_UNITS: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "19.56MB/s" → bytes per second; null for anything else. */
export function parseRate(rate: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kMGT]?B)\/s$/.exec(rate);
  const unit = m ? RATE_UNITS[m[2] as string] : undefined;
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : null;
}

/** "0:01:05" → 65; null for "??:??:??". */
function parseClock(text: string): number | null {
  const m = /^(\d+):(\d\d):(\d\d)$/.exec(text);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

const PROGRESS = /^\s*(\d+)\s+(\d+)%\s+(\S+)\s+(\S+)(\s+\(xfr#\d+, (?:to|ir)-chk=(\d+)\/(\d+)\))?/;

/** Splits "a|b|c|rest" into `count` fields and the rest (the name, which may hold "|"); null if too short. */
function fields(body: string, count: number): { parts: string[]; rest: string } | null {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    const bar = body.indexOf('|', from);
    if (bar < 0) return null;
    parts.push(body.slice(from, bar));
    from = bar + 1;
  }
  return { parts, rest: body.slice(from) };
}

export function parseLine(line: string): OutputItem | null {
  const move = line.startsWith(MOVE_OUT_MARKER);
  if (move || line.startsWith(OUT_MARKER)) {
    // OUT_FORMAT: %i|%l|%n; MOVE_OUT_FORMAT: %i|%l|%b|%n.
    const split = fields(line.slice((move ? MOVE_OUT_MARKER : OUT_MARKER).length), move ? 3 : 2);
    if (!split) return null;
    const [itemize = '', size = '', wire = ''] = split.parts;
    let name = unescapeName(split.rest);
    const deleted = itemize.startsWith('*deleting');
    // "*deleting" has no file-type column: a deleted directory is known by its trailing "/".
    const isDir = (!deleted && itemize[1] === 'd') || name.endsWith('/');
    if (name.endsWith('/')) name = name.slice(0, -1);
    return {
      type: 'file',
      path: name,
      size: Number(size) || 0,
      bytes: move ? Number(wire) || 0 : null,
      deleted,
      transferred: itemize[0] === '<' || itemize[0] === '>' || itemize[0] === 'c' || itemize[0] === 'h',
      data: itemize[0] === '<' || itemize[0] === '>',
      created: !deleted && /^\+{5,}$/.test(itemize.slice(2)),
      isDir,
    };
  }
  const m = PROGRESS.exec(line);
  if (m) {
    const fileDone = m[5] !== undefined;
    return {
      type: 'progress',
      bytes: Number(m[1]),
      percent: Number(m[2]),
      rate: m[3] as string,
      bytesPerSecond: parseRate(m[3] as string),
      remaining: m[6] === undefined ? null : Number(m[6]),
      total: m[7] === undefined ? null : Number(m[7]),
      // Mid-file rsync prints the time left; on the line that ends a file, the time the file took.
      etaSeconds: fileDone ? null : parseClock(m[4] as string),
      fileDone,
    };
  }
  if (line.startsWith('Number of ') || line.startsWith('Total ')) {
    for (const [name, pattern] of STATS) {
      const stat = pattern.exec(line);
      if (stat) return { type: 'stat', name, value: Number((stat[1] as string).replace(/[,.]/g, '')) };
    }
  }
  return null;
}

/**
 * A progress2 line that ends a file has no newline of its own (rsync drops it to rewrite the line), and an
 * itemized line can follow it directly: "… (xfr#4, to-chk=1/7)RL>cd+++++++++|4096|d/". Such a line is two.
 */
function unglue(line: string, onLine: (line: string) => void): void {
  if (!line.startsWith(OUT_MARKER) && !line.startsWith(MOVE_OUT_MARKER)) {
    const at = [line.indexOf(OUT_MARKER), line.indexOf(MOVE_OUT_MARKER)].filter((i) => i > 0);
    if (at.length > 0) {
      const cut = Math.min(...at);
      onLine(line.slice(0, cut));
      onLine(line.slice(cut));
      return;
    }
  }
  onLine(line);
}

/** Splits a byte stream into lines on "\n" and "\r" (progress2 rewrites its line with "\r"). */
export class LineSplitter {
  #rest = '';
  push(chunk: Buffer, onLine: (line: string) => void): void {
    const text = this.#rest + chunk.toString('latin1');
    const parts = text.split(/[\r\n]/);
    this.#rest = parts.pop() ?? '';
    for (const part of parts) if (part !== '') unglue(part, onLine);
  }
  end(onLine: (line: string) => void): void {
    if (this.#rest !== '') unglue(this.#rest, onLine);
    this.#rest = '';
  }
}
