// What Browse backup says about an entry compared with the local folder: one short marker per entry (or none
// when they are the same), its tone, and how a restore's outcome reads. Pure.
import type { BackupEntryView, RestoreResultView } from '../../../electron/shared/restore.ts';

export interface Mark {
  text: string;
  tone: 'info' | 'warn' | 'danger';
}

/** The marker of one entry; null when the folder has the same. */
export function entryMark(entry: BackupEntryView): Mark | null {
  if (entry.deletedVersion !== undefined)
    return { text: `deleted, last version ${entry.deletedVersion}`, tone: 'danger' };
  switch (entry.local) {
    case 'missing':
      return { text: entry.kind === 'dir' ? 'only on the backup' : 'missing locally', tone: 'danger' };
    case 'newer-on-backup':
      return { text: 'newer on the backup', tone: 'info' };
    case 'newer-locally':
      return { text: 'newer locally', tone: 'warn' };
    case 'differs':
      return { text: 'differs', tone: 'warn' };
    default:
      return null;
  }
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Restored 3 files into /home/me/Documents; 1 already the same; 1 newer locally left alone; 1 failed." */
export function describeResult(result: RestoreResultView): string {
  const parts = [`Restored ${count(result.restored, 'file', 'files')} into ${result.destination}`];
  if (result.unchanged > 0) parts.push(`${result.unchanged} already the same`);
  if (result.skippedNewer.length > 0) parts.push(`${result.skippedNewer.length} newer locally left alone`);
  if (result.failed.length > 0) parts.push(`${result.failed.length} failed`);
  return `${parts.join('; ')}.`;
}

/** A binary path (one char per byte, as the API carries paths) as text for people: UTF-8, U+FFFD if invalid. */
export function displayPath(path: string): string {
  return new TextDecoder().decode(Uint8Array.from(path, (char) => char.charCodeAt(0) & 0xff));
}

/** A backup entry's time, short: "Dec 4, 2026, 4:00 PM" (the full time is in the title). */
export function formatEntryTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
