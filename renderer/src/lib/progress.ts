// What the progress line of a target says about the rsync run in progress: the file being sent, bytes done of
// the estimated total, the rate, the time left, and for start-up and full syncs the files checked so far.
// Pure; the numbers come from rsync's --info=progress2 (electron/engine/rsync/output.ts).
import type { TransferProgress } from '../../../electron/shared/state.ts';
import { formatBytes } from './format.js';

export interface TransferText {
  /** The file being sent (rsync names it before sending it), or what rsync does until it names one. */
  file: string;
  /** That file's bytes done of its size, "1.2 MiB of 2.9 MiB", or null before rsync names a file. */
  fileAmount: string | null;
  /**
   * "12.0 MiB of about 30.0 MiB" for the run, "12.0 MiB" while its total is not known, null when the run is
   * (nearly all) the one file named, whose own amount says the same.
   */
  amount: string | null;
  /** "19.6 MiB/s", or null before rsync measured a rate. */
  rate: string | null;
  /** "about 2 min left", or null when unknown. */
  eta: string | null;
  /** "3 of 10 files checked", or null before rsync counted them. */
  checked: string | null;
}

/** Seconds as "about 5 s", "about 3 min", "about 2 h 10 min". */
export function formatEta(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return `about ${hours} h${minutes > 0 ? ` ${minutes} min` : ''}`;
}

export function describeTransfer(progress: TransferProgress): TransferText {
  const { bytes, percent } = progress;
  // progress2's percent is of the whole run: bytes / percent estimates the run's total once it is past 0 %.
  const total = percent !== null && percent > 0 && percent < 100 ? (bytes * 100) / percent : null;
  const rate = progress.bytesPerSecond ?? null;
  // rsync's own estimate mid-file; just after a file ended (rsync then prints the time taken), ours.
  const eta =
    progress.etaSeconds ?? (total !== null && rate !== null && rate > 0 ? (total - bytes) / rate : null);
  const fileSize = progress.fileSize ?? null;
  const files = progress.total ?? null;
  const remaining = progress.remaining ?? null;
  // The run is this file when nothing came before it and the run's percent (whole, rounded down) is the file's.
  const onlyThisFile =
    fileSize !== null &&
    fileSize > 0 &&
    percent !== null &&
    progress.fileBytes === bytes &&
    Math.abs((bytes * 100) / fileSize - percent) <= 1.5;
  return {
    file: progress.file !== '' ? progress.file : bytes > 0 ? 'sending…' : 'checking files…',
    fileAmount:
      progress.file !== '' && fileSize !== null
        ? `${formatBytes(progress.fileBytes ?? 0)} of ${formatBytes(fileSize)}`
        : null,
    amount: onlyThisFile
      ? null
      : total !== null
        ? `${formatBytes(bytes)} of about ${formatBytes(total)}`
        : formatBytes(bytes),
    rate: rate !== null && rate > 0 ? `${formatBytes(rate)}/s` : null,
    eta: eta !== null ? `${formatEta(eta)} left` : null,
    checked: files !== null && remaining !== null ? `${files - remaining} of ${files} files checked` : null,
  };
}
