// Benchmark suite: the small statistics the report uses (median, nearest-rank percentiles, medians of run
// metrics) and the number formatting shared by the report and the chart. Pure.
import type { Metrics, RunResult } from './types.js';

/** Median (mean of the two middle values for an even count); null for no values. NaN values are ignored. */
export function median(values: readonly number[]): number | null {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in (0, 100]): the smallest value with at least p % of the values at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * xs.length));
  return xs[Math.min(xs.length, rank) - 1] as number;
}

/** Median of each metric over the converged runs (a metric missing from a run is skipped for that run). */
export function medianMetrics(runs: readonly RunResult[]): Metrics {
  const out: Metrics = {};
  const converged = runs.filter((r) => r.converged);
  const keys = new Set(converged.flatMap((r) => Object.keys(r.metrics)));
  for (const key of keys) {
    const m = median(converged.map((r) => r.metrics[key] ?? NaN));
    if (m !== null) out[key] = m;
  }
  return out;
}

/** Seconds from milliseconds, with precision that suits the size: 0.084 s, 1.23 s, 18.4 s, 123 s. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 0.1) return `${s.toFixed(3)} s`;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 100) return `${s.toFixed(1)} s`;
  return `${s.toFixed(0)} s`;
}

export function formatMs(ms: number): string {
  return ms < 100 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(0)} ms`;
}

/** Bytes in decimal units (kB, MB, GB), as `du --si` and the targets use. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes.toFixed(0)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

/** A ratio like "12.3×" (two significant digits under 10). */
export function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x < 10 ? `${x.toFixed(2)}×` : `${x.toFixed(1)}×`;
}
