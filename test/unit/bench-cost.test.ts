import { describe, expect, it } from 'vitest';
import { FULL_SIZES } from '../../bench/config.js';
import { costSection, costSeries, costTable, logLogSlope } from '../../bench/cost.js';
import { medianMetrics } from '../../bench/stats.js';
import { evaluateTargets } from '../../bench/targets.js';
import type { BenchResults, Cell, Metrics, ToolId, WorkloadId } from '../../bench/types.js';

function cell(workload: WorkloadId, tool: ToolId, metrics: Metrics): Cell {
  const runs = [{ run: 1, converged: true, metrics, notes: [] }];
  return { workload, tool, runs, skipped: null, medians: medianMetrics(runs), convergedRuns: 1 };
}

const CELLS: Cell[] = [
  // CPU linear in size (0.001 CPU-s per directory), RSS = 40 MB + a little per directory.
  cell('cost-tree-1', 'rsync-live', { cpuSec: 1, rssMB: 60 }),
  cell('cost-tree-2', 'rsync-live', { cpuSec: 10, rssMB: 70 }),
  cell('cost-tree-3', 'rsync-live', { cpuSec: 100, rssMB: 200 }),
  cell('cost-tree-1', 'floor', { cpuSec: 0.5 }),
  cell('cost-burst-1', 'rsync-live', { cpuSec: 0.2, rssMB: 80 }),
  cell('cost-burst-2', 'rsync-live', { cpuSec: 4, rssMB: 100 }),
  // The large burst did not converge: no point, the slope comes from two sizes.
  { ...cell('cost-burst-3', 'rsync-live', { diffs: 3 }), convergedRuns: 0 },
];

const results = { cells: CELLS, sizes: FULL_SIZES } as unknown as BenchResults;

describe('cost against size', () => {
  it('fits the log-log slope', () => {
    expect(
      logLogSlope([
        [1000, 1],
        [10_000, 10],
        [100_000, 100],
      ]),
    ).toBeCloseTo(1, 6);
    expect(
      logLogSlope([
        [1000, 5],
        [10_000, 5],
      ]),
    ).toBeCloseTo(0, 6);
    expect(
      logLogSlope([
        [10, 100],
        [100, 10_000],
      ]),
    ).toBeCloseTo(2, 6);
    expect(logLogSlope([[10, 1]])).toBeNull();
    expect(
      logLogSlope([
        [10, 0],
        [100, 5],
      ]),
    ).toBeNull();
  });

  it('collects a series per tool and metric at the configured sizes', () => {
    const s = costSeries(results);
    const cpu = s.find((x) => x.kind === 'tree' && x.tool === 'rsync-live' && x.metric === 'cpuSec');
    expect(cpu?.points).toEqual([
      [1000, 1],
      [10_000, 10],
      [100_000, 100],
    ]);
    expect(cpu?.slope).toBeCloseTo(1, 6);
    const burst = s.find((x) => x.kind === 'burst' && x.tool === 'rsync-live' && x.metric === 'cpuSec');
    expect(burst?.points).toHaveLength(2);
    expect(burst?.slope).toBeCloseTo(Math.log(20) / Math.log(20), 6);
  });

  it('renders both tables with sizes, values and slopes', () => {
    const tree = costTable(results, 'tree') ?? '';
    expect(tree).toContain('| 100,000 | 100.00 | 200 |');
    expect(tree).toMatch(/slope \(log-log fit\) \| 1\.00 \|/);
    const burst = costTable(results, 'burst') ?? '';
    expect(burst).toContain('| 100,000 | — | — |');
    expect(costSection(results)).toContain('## Cost against size');
    expect(costSection({ cells: [], sizes: FULL_SIZES } as unknown as BenchResults)).toBeNull();
    // An older results file without the cost sizes renders without the section.
    const old = {
      cells: CELLS,
      sizes: { ...FULL_SIZES, costTreeDirs: undefined, costBurstFiles: undefined },
    };
    expect(costSection(old as unknown as BenchResults)).toBeNull();
  });

  it('says per issue-15 goal whether it holds and by how much', () => {
    const cells = [
      ...CELLS,
      cell('latency', 'rsync-live', { p50Ms: 20 }),
      cell('latency', 'floor', { p50Ms: 15 }),
      cell('idle', 'rsync-live', { idleRssMB: 70, rssMB: 72 }),
    ];
    const byId = Object.fromEntries(evaluateTargets(cells, 120_000, FULL_SIZES).map((t) => [t.id, t]));
    expect(byId['latency-floor-1.25']?.verdict).toBe('misses');
    expect(byId['latency-floor-1.25']?.detail).toMatch(/misses by 0\.08×/);
    expect(byId['idle-rss-60']?.verdict).toBe('misses');
    expect(byId['idle-rss-60']?.detail).toBe('misses by 10 MB (17 % over)');
    expect(byId['cost-slope-tree']?.verdict).toBe('holds');
    expect(byId['cost-slope-tree']?.value).toBe('CPU 1.00, RSS 0.26');
    expect(byId['burst-floor-0.6']?.verdict).toBe('n/a');
  });
});
