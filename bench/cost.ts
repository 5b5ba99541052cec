// Benchmark suite, (i) cost against size: the tables of CPU-s and peak RSS against tree size (start-up on 3
// trees) and burst size (3 bursts), per tool, with the slope of a least-squares fit of log(cost) on log(size)
// (1.0 = linear, 0 = flat). Pure: reads the cells, returns markdown and numbers.
import { markdownTable } from './report.js';
import {
  COST_BURST_WORKLOADS,
  COST_TREE_WORKLOADS,
  TOOL_IDS,
  TOOL_LABELS,
  type BenchResults,
  type Cell,
  type ToolId,
  type WorkloadId,
} from './types.js';

/** Slope of the least-squares line through (log x, log y); null with fewer than 2 usable points. */
export function logLogSlope(points: readonly (readonly [number, number])[]): number | null {
  const usable = points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y));
  if (usable.length < 2) return null;
  const lx = usable.map(([x]) => Math.log(x));
  const ly = usable.map(([, y]) => Math.log(y));
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += ((lx[i] as number) - mx) * ((ly[i] as number) - my);
    den += ((lx[i] as number) - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

export interface CostSeries {
  kind: 'tree' | 'burst';
  tool: ToolId;
  metric: 'cpuSec' | 'rssMB';
  /** [size, median] for each size that has a converged result. */
  points: [number, number][];
  slope: number | null;
}

const cellOf = (cells: readonly Cell[], w: WorkloadId, t: ToolId): Cell | undefined =>
  cells.find((c) => c.workload === w && c.tool === t);

function workloadsOf(kind: 'tree' | 'burst'): readonly WorkloadId[] {
  return kind === 'tree' ? COST_TREE_WORKLOADS : COST_BURST_WORKLOADS;
}

function sizesOf(results: BenchResults, kind: 'tree' | 'burst'): readonly number[] {
  // Results files written before the cost workloads existed have neither list.
  const sizes: readonly number[] | undefined =
    kind === 'tree' ? results.sizes.costTreeDirs : results.sizes.costBurstFiles;
  return sizes ?? [];
}

/** Every (kind, tool, metric) series that has at least one point. */
export function costSeries(results: BenchResults): CostSeries[] {
  const out: CostSeries[] = [];
  for (const kind of ['tree', 'burst'] as const) {
    const ws = workloadsOf(kind);
    const sizes = sizesOf(results, kind);
    for (const tool of TOOL_IDS) {
      for (const metric of ['cpuSec', 'rssMB'] as const) {
        const points: [number, number][] = [];
        ws.forEach((w, i) => {
          const c = cellOf(results.cells, w, tool);
          const v = c && c.convergedRuns > 0 ? c.medians[metric] : undefined;
          const size = sizes[i];
          if (v !== undefined && size !== undefined) points.push([size, v]);
        });
        if (points.length > 0) out.push({ kind, tool, metric, points, slope: logLogSlope(points) });
      }
    }
  }
  return out;
}

const num = (x: number): string => x.toLocaleString('en-US');
const slopeText = (s: number | null): string => (s === null ? '—' : s.toFixed(2));

/** One markdown table for a kind: a row per size, CPU-s and peak RSS per tool, then the slopes. */
export function costTable(results: BenchResults, kind: 'tree' | 'burst'): string | null {
  const series = costSeries(results).filter((s) => s.kind === kind);
  const tools = TOOL_IDS.filter((t) => series.some((s) => s.tool === t));
  if (tools.length === 0) return null;
  const sizes = sizesOf(results, kind);
  // The floor is rsync alone: CPU only (its RSS is rsync's, not a tool's).
  const columns = (t: ToolId): ('cpuSec' | 'rssMB')[] => (t === 'floor' ? ['cpuSec'] : ['cpuSec', 'rssMB']);
  const headers = [
    kind === 'tree' ? 'directories (3 files each)' : 'files in the burst',
    ...tools.flatMap((t) =>
      columns(t).map((c) => `${TOOL_LABELS[t]}: ${c === 'cpuSec' ? 'CPU-s' : 'peak RSS (MB)'}`),
    ),
  ];
  const value = (tool: ToolId, metric: 'cpuSec' | 'rssMB', size: number): string => {
    const s = series.find((x) => x.tool === tool && x.metric === metric);
    const p = s?.points.find(([x]) => x === size);
    if (!p) return '—';
    return metric === 'cpuSec' ? p[1].toFixed(2) : p[1].toFixed(0);
  };
  const rows = sizes.map((size) => [
    num(size),
    ...tools.flatMap((t) => columns(t).map((c) => value(t, c, size))),
  ]);
  const slope = (tool: ToolId, metric: 'cpuSec' | 'rssMB'): string =>
    slopeText(series.find((x) => x.tool === tool && x.metric === metric)?.slope ?? null);
  rows.push(['slope (log-log fit)', ...tools.flatMap((t) => columns(t).map((c) => slope(t, c)))]);
  return markdownTable(headers, rows);
}

/** The report section, or null when no cost workload ran. */
export function costSection(results: BenchResults): string | null {
  const tree = costTable(results, 'tree');
  const burst = costTable(results, 'burst');
  if (!tree && !burst) return null;
  const out = [
    '## Cost against size',
    '',
    'CPU-s of the tool and its rsync children, and peak RSS of its main process, against the size of the work; ' +
      'the slope is the exponent of a least-squares fit cost ∝ size^slope over the sizes (1.00 = linear, ' +
      '0 = flat: a fixed cost dominates). Medians of the runs.',
    '',
  ];
  if (tree) {
    out.push(
      '### Start-up on a tree (until the start-up sync is done; the target already holds the tree)',
      '',
      tree,
      '',
    );
  }
  if (burst) {
    out.push('### Burst (50 files of 4 KiB per new directory; until converged)', '', burst, '');
  }
  return out.join('\n');
}
