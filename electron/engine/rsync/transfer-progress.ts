// The transfer in progress of one rsync run, from its parsed output (./output.ts): which file is being sent
// (rsync names it before sending it, see OUT_FORMAT), how far that file and the run are, the rate and the time
// left; and which files are done. A file is done once rsync names the next one, or when the run ends well (the
// last one; a run that fails may have broken off in it). Pure: no I/O, no clock.
import type { TransferProgress } from '../../shared/state.js';
import type { OutputItem } from './output.js';

type FileItem = Extract<OutputItem, { type: 'file' }>;
type ProgressItem = Extract<OutputItem, { type: 'progress' }>;

/** A file whose data rsync sent. */
export interface SentFile {
  /** As rsync named it (latin1 text of the name's bytes). */
  path: string;
  size: number;
}

export class TransferTracker {
  /** The file named last, whose data is being sent (or was, until the next one is named). */
  #sending: SentFile | null = null;
  /** The run's bytes (progress2) when that file was named: what the files before it took. */
  #base = 0;
  #last: ProgressItem | null = null;

  /**
   * A file line. Returns the files it completes: the one named before when this one's data is sent next, or
   * this one when it is made on the target without data (a symlink, a hard link). Deletions, directories and
   * unchanged entries complete nothing.
   */
  file(item: FileItem): SentFile[] {
    if (item.deleted || item.isDir || !item.transferred) return [];
    if (!item.data) return [{ path: item.path, size: item.size }];
    const done = this.#sending;
    this.#sending = { path: item.path, size: item.size };
    this.#base = this.#last?.bytes ?? 0;
    return done ? [done] : [];
  }

  /** A progress2 line, noted (cheap: a burst of small files prints one per file; view() shows the last). */
  record(item: ProgressItem): void {
    this.#last = item;
  }

  /**
   * The progress as of the last progress2 line, as the UI shows it; null before the first one. `display` turns a
   * name into its display form.
   */
  view(display: (path: string) => string): TransferProgress | null {
    const item = this.#last;
    if (item === null) return null;
    const file = this.#sending;
    return {
      file: file ? display(file.path) : '',
      bytes: item.bytes,
      total: item.total,
      percent: item.percent,
      remaining: item.remaining,
      bytesPerSecond: item.bytesPerSecond,
      etaSeconds: item.etaSeconds,
      fileSize: file ? file.size : null,
      fileBytes: file ? Math.min(file.size, Math.max(0, item.bytes - this.#base)) : null,
    };
  }

  /** The run ended: the file named last, done if the run ended well (`ok`), else null. */
  finish(ok: boolean): SentFile | null {
    const last = this.#sending;
    this.#sending = null;
    return ok ? last : null;
  }
}
