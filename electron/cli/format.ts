// Human-readable log lines for the CLI: one line per batch, every error with what to do.
import type { BatchSummary } from '../shared/state.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatBatch(summary: BatchSummary, targetLabel: string): string {
  const what =
    summary.kind === 'full' ? 'full sync' : `${summary.paths} path${summary.paths === 1 ? '' : 's'}`;
  const outcome = !summary.ok
    ? `failed (exit ${summary.exitCode ?? 'signal'})`
    : summary.vanished > 0
      ? `ok, ${summary.vanished} vanished, re-checked`
      : 'ok';
  const names = summary.deletedPaths.slice(0, 3).join(', ');
  const more = summary.deleted > 3 ? ', …' : '';
  const deleted =
    summary.deleted > 0 && names
      ? `${summary.deleted} deleted (${names}${more})`
      : `${summary.deleted} deleted`;
  return (
    `[${summary.pairId} → ${targetLabel}] ${what}: ${summary.files} file${summary.files === 1 ? '' : 's'} sent ` +
    `(${formatBytes(summary.bytes)}), ${deleted}, ${summary.ms} ms, ${outcome}`
  );
}
