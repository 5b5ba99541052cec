// Benchmark suite: reads what the rsync daemons logged about a run. Each module has `transfer logging = yes`
// with `log format = XFER|%m|%o|%b|%l|%n` (module, operation, bytes transferred, file length, name); each
// connection starts with "rsync to MODULE/ from …". Pure: text in, sums out. (The daemon's closing "sent X bytes
// received Y bytes" line is not used: it is missing for connections that ended with a warning or an error.)

/** The `log format` the bench daemons use; parseDaemonLog reads exactly this. */
export const TRANSFER_LOG_FORMAT = 'XFER|%m|%o|%b|%l|%n';

export interface Transfers {
  /** Sum of %b over uploaded files: the file data sent (literal data plus delta tokens). */
  dataBytes: number;
  /** Per uploaded file name (as logged): how many times it was sent and the bytes. */
  files: Map<string, { count: number; bytes: number }>;
  /** Files deleted on the target (`del.` lines). */
  deletions: number;
  /** rsync connections to the modules (one per rsync run). */
  sessions: number;
}

const LINE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\d+)\] (.*)$/;
const digits = (s: string): number => Number(s.replace(/[^\d]/g, '')) || 0;

/** Sums the log lines about any of `modules`. */
export function parseDaemonLog(text: string, modules: ReadonlySet<string>): Transfers {
  const out: Transfers = { dataBytes: 0, files: new Map(), deletions: 0, sessions: 0 };
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const msg = m[2] as string;
    const session = /^rsync (?:to|on) ([^/ ]+)\/?\S* from /.exec(msg);
    if (session) {
      if (modules.has(session[1] as string)) out.sessions++;
      continue;
    }
    if (!msg.startsWith('XFER|')) continue;
    const parts = msg.split('|');
    const [, module = '', op = '', bytes = '0'] = parts;
    if (!modules.has(module)) continue;
    if (op === 'del.') {
      out.deletions++;
      continue;
    }
    if (op !== 'recv') continue;
    const name = parts.slice(5).join('|');
    const b = digits(bytes);
    out.dataBytes += b;
    const entry = out.files.get(name);
    if (entry) {
      entry.count++;
      entry.bytes += b;
    } else out.files.set(name, { count: 1, bytes: b });
  }
  return out;
}
