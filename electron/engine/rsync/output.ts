// Parses rsync's stdout as it streams: itemized lines (our --out-format) become file events, --info=progress2
// lines become progress. Works on latin1 text so names keep their exact bytes.
import { OUT_MARKER } from './command.js';

export type OutputItem =
  | {
      type: 'file';
      path: string;
      bytes: number;
      size: number;
      deleted: boolean;
      transferred: boolean;
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
    };

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

const PROGRESS = /^\s*(\d+)\s+(\d+)%\s+(\S+)\s+\S+(?:\s+\(xfr#\d+, (?:to|ir)-chk=(\d+)\/(\d+)\))?/;

export function parseLine(line: string): OutputItem | null {
  if (line.startsWith(OUT_MARKER)) {
    const body = line.slice(OUT_MARKER.length);
    const first = body.indexOf('|');
    const second = body.indexOf('|', first + 1);
    const third = body.indexOf('|', second + 1);
    if (first < 0 || second < 0 || third < 0) return null;
    const itemize = body.slice(0, first);
    let name = unescapeName(body.slice(third + 1));
    const deleted = itemize.startsWith('*deleting');
    // "*deleting" has no file-type column: a deleted directory is known by its trailing "/".
    const isDir = (!deleted && itemize[1] === 'd') || name.endsWith('/');
    if (name.endsWith('/')) name = name.slice(0, -1);
    return {
      type: 'file',
      path: name,
      size: Number(body.slice(first + 1, second)) || 0,
      bytes: Number(body.slice(second + 1, third)) || 0,
      deleted,
      transferred: itemize[0] === '<' || itemize[0] === '>' || itemize[0] === 'c' || itemize[0] === 'h',
      created: !deleted && /^\+{5,}$/.test(itemize.slice(2)),
      isDir,
    };
  }
  const m = PROGRESS.exec(line);
  if (m) {
    const total = m[5] === undefined ? null : Number(m[5]);
    return {
      type: 'progress',
      bytes: Number(m[1]),
      percent: Number(m[2]),
      rate: m[3] as string,
      bytesPerSecond: parseRate(m[3] as string),
      remaining: m[4] === undefined ? null : Number(m[4]),
      total,
    };
  }
  return null;
}

/** Splits a byte stream into lines on "\n" and "\r" (progress2 rewrites its line with "\r"). */
export class LineSplitter {
  #rest = '';
  push(chunk: Buffer, onLine: (line: string) => void): void {
    const text = this.#rest + chunk.toString('latin1');
    const parts = text.split(/[\r\n]/);
    this.#rest = parts.pop() ?? '';
    for (const part of parts) if (part !== '') onLine(part);
  }
  end(onLine: (line: string) => void): void {
    if (this.#rest !== '') onLine(this.#rest);
    this.#rest = '';
  }
}
