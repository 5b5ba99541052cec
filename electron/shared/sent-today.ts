// "Sent today" of a target: the file data backed up today, each file once. A file sent again (rewritten while
// it was sent, or changed twice) counts its newest size, not twice; a 2-byte file is 2 B, whatever rsync's
// wire bytes were. The totals restart at midnight. Past MAX_TRACKED files a day (a huge start-up sync) the
// paths are no longer remembered and further files simply add up, as do the files of bulk runs, which report
// only their totals.
export interface SentTotals {
  date: string;
  files: number;
  bytes: number;
}

const MAX_TRACKED = 100_000;

export class SentToday {
  #totals: SentTotals;
  #sizes = new Map<string, number>();

  constructor(date: string) {
    this.#totals = { date, files: 0, bytes: 0 };
  }

  /** A file of `size` bytes was sent on `date` (YYYY-MM-DD). */
  add(date: string, path: string, size: number): void {
    this.#roll(date);
    const before = this.#sizes.get(path);
    if (before === undefined) {
      this.#totals.files++;
      this.#totals.bytes += size;
      if (this.#sizes.size < MAX_TRACKED) this.#sizes.set(path, size);
    } else {
      this.#totals.bytes += size - before;
      this.#sizes.set(path, size);
    }
  }

  /**
   * `files` files of `bytes` bytes in all were sent on `date`, names unknown (a bulk run reports only its
   * totals): they add up, as files past the tracked limit do.
   */
  addUnnamed(date: string, files: number, bytes: number): void {
    this.#roll(date);
    this.#totals.files += files;
    this.#totals.bytes += bytes;
  }

  /** A new day starts from nothing. */
  #roll(date: string): void {
    if (date === this.#totals.date) return;
    this.#totals = { date, files: 0, bytes: 0 };
    this.#sizes.clear();
  }

  /** Today's totals; a day without sends yet reads 0 (`date` is today). */
  totals(today: string): SentTotals {
    return today === this.#totals.date ? { ...this.#totals } : { date: today, files: 0, bytes: 0 };
  }
}
