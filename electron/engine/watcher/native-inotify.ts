// Loads the native inotify addon (native/inotify, built by `npm run build` into dist/native/) and parses the
// raw event batches it hands over. The addon only owns the descriptor; kernel-watcher.ts makes every decision.
// RSYNC_LIVE_NO_NATIVE=1 forces the fs.watch fallback (documented in docs/config.md).
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** An open inotify descriptor, polled by the event loop. */
export type InotifyHandle = { readonly __inotifyHandle: unique symbol };

export interface InotifyAddon {
  /** Opens a descriptor; `onEvents` gets every batch read at one wake-up (struct inotify_event records). */
  open(onEvents: (batch: Buffer, readError?: string) => void): InotifyHandle;
  /** The watch descriptor; throws an Error with `code` (ENOSPC at the watch limit, ENOENT, ENOTDIR, EACCES...). */
  addWatch(handle: InotifyHandle, path: Buffer, mask: number): number;
  rmWatch(handle: InotifyHandle, wd: number): void;
  close(handle: InotifyHandle): void;
  /** glibc's malloc_trim(0): returns the C heap's free pages to the system (false: none, or not glibc). Absent
   * from an addon built before it was added. */
  mallocTrim?(): boolean;
  readonly constants: Readonly<Record<InotifyConstant, number>>;
}

export type InotifyConstant =
  | 'IN_MODIFY'
  | 'IN_ATTRIB'
  | 'IN_CLOSE_WRITE'
  | 'IN_MOVED_FROM'
  | 'IN_MOVED_TO'
  | 'IN_CREATE'
  | 'IN_DELETE'
  | 'IN_DELETE_SELF'
  | 'IN_MOVE_SELF'
  | 'IN_UNMOUNT'
  | 'IN_Q_OVERFLOW'
  | 'IN_IGNORED'
  | 'IN_ONLYDIR'
  | 'IN_DONT_FOLLOW'
  | 'IN_EXCL_UNLINK'
  | 'IN_ISDIR';

export type NativeLoad = { addon: InotifyAddon; reason: null } | { addon: null; reason: string };

export const ADDON_FILE = 'rsync_live_inotify.node';

/**
 * Where the addon may be: beside the compiled engine (dist/electron/engine/watcher → dist/native) and, when the
 * engine runs from its TypeScript sources (tests, tsx), in the build output dist/native. Inside a packaged app
 * the file lies in app.asar.unpacked (build/electron-builder.yml, asarUnpack), as dlopen cannot read the asar.
 */
export function addonCandidates(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [
    path.resolve(here, '../../../native', ADDON_FILE),
    path.resolve(here, '../../../dist/native', ADDON_FILE),
  ].map(unpacked);
}

/** A path inside an Electron app's asar archive, moved to the unpacked copy beside it. */
export function unpacked(file: string): string {
  return file.replace(`${path.sep}app.asar${path.sep}`, `${path.sep}app.asar.unpacked${path.sep}`);
}

let cached: NativeLoad | undefined;

/** The addon, or why it cannot be used (the engine then watches through fs.watch). Loaded once. */
export function loadNativeInotify(candidates?: string[]): NativeLoad {
  if (candidates === undefined && cached) return cached;
  const result = load(candidates ?? addonCandidates());
  if (candidates === undefined) cached = result;
  return result;
}

function load(candidates: string[]): NativeLoad {
  if (process.env.RSYNC_LIVE_NO_NATIVE === '1') return { addon: null, reason: 'RSYNC_LIVE_NO_NATIVE=1' };
  if (process.platform !== 'linux') return { addon: null, reason: `no inotify on ${process.platform}` };
  const require = createRequire(import.meta.url);
  for (const file of candidates) {
    try {
      return { addon: require(file) as InotifyAddon, reason: null };
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (err.code === 'MODULE_NOT_FOUND') continue;
      return { addon: null, reason: `cannot load ${file}: ${firstLine(err.message)}` };
    }
  }
  return { addon: null, reason: 'native addon not built (npm run build compiles it; needs a C compiler)' };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

export interface InotifyEvent {
  wd: number;
  mask: number;
  cookie: number;
  /** The name as bytes in a latin1 string (one char per byte), '' for events about the watched directory itself. */
  name: string;
}

const HEADER = 16;
const LE = os.endianness() === 'LE';

/** Splits one batch into its struct inotify_event records (names are NUL-padded to `len`). */
export function parseEvents(batch: Buffer): InotifyEvent[] {
  const events: InotifyEvent[] = [];
  for (let at = 0; at + HEADER <= batch.length;) {
    const wd = LE ? batch.readInt32LE(at) : batch.readInt32BE(at);
    const mask = LE ? batch.readUInt32LE(at + 4) : batch.readUInt32BE(at + 4);
    const cookie = LE ? batch.readUInt32LE(at + 8) : batch.readUInt32BE(at + 8);
    const len = LE ? batch.readUInt32LE(at + 12) : batch.readUInt32BE(at + 12);
    const start = at + HEADER;
    const end = Math.min(start + len, batch.length);
    const nul = len > 0 ? batch.indexOf(0, start) : start;
    const name = len > 0 ? batch.toString('latin1', start, nul === -1 || nul > end ? end : nul) : '';
    events.push({ wd, mask, cookie, name });
    at = start + len;
  }
  return events;
}
