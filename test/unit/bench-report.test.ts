import { describe, expect, it } from 'vitest';
import { axisLabel, chartData, renderChartSvg } from '../../bench/chart.js';
import { FULL_SIZES } from '../../bench/config.js';
import { diffKinds } from '../../bench/converge.js';
import { explainDiffs, findingsOf } from '../../bench/findings.js';
import {
  codeSpan,
  HAND_WRITTEN_MARKER,
  keepHandWritten,
  markdownTable,
  ratiosTable,
  renderMarkdown,
  resultsTable,
  shorten,
  targetsTable,
} from '../../bench/report.js';
import { medianMetrics } from '../../bench/stats.js';
import { evaluateTargets } from '../../bench/targets.js';
import { lsyncdConfig } from '../../bench/tools/lsyncd.js';
import { noGuardConfig } from '../../bench/tools/rsync-live.js';
import { whyInLog } from '../../bench/workloads/harness.js';
import type { BenchResults, Cell, Metrics, ToolId, WorkloadId } from '../../bench/types.js';

function cell(workload: WorkloadId, tool: ToolId, runs: (Metrics | null)[]): Cell {
  const rs = runs.map((m, i) => ({
    run: i + 1,
    converged: m !== null,
    metrics: m ?? { diffs: 3 },
    notes:
      m === null ? ['did not converge within 120 s of the last operation: 3 path(s) differ, e.g.\n  x'] : [],
  }));
  return {
    workload,
    tool,
    runs: rs,
    skipped: null,
    medians: medianMetrics(rs),
    convergedRuns: rs.filter((r) => r.converged).length,
  };
}

const CELLS: Cell[] = [
  cell('burst', 'rsync-live', [
    { convergeMs: 800, cpuSec: 4 },
    { convergeMs: 900, cpuSec: 5 },
    { convergeMs: 700, cpuSec: 6 },
  ]),
  cell('burst', 'floor', [{ convergeMs: 600 }, { convergeMs: 500 }, { convergeMs: 700 }]),
  cell('burst', 'lsyncd-0.1s', [{ convergeMs: 20_000, cpuSec: 20 }]),
  cell('burst', 'lsyncd-15s', [{ convergeMs: 30_000, cpuSec: 4.5 }]),
  cell('burst', 'inotifywait', [{ convergeMs: 2000, cpuSec: 3 }]),
  cell('three', 'rsync-live', [{ convergeMs: 1100, target1Ms: 900, target2Ms: 1000, target3Ms: 1100 }]),
  cell('latency', 'rsync-live', [{ p50Ms: 25, p90Ms: 70, maxMs: 90 }]),
  cell('churn', 'rsync-live', [{ convergeMs: 400 }]),
  cell('churn', 'lsyncd-0.1s', [null]),
  cell('big', 'rsync-live', [{ convergeMs: 1500, sentOnce: 1, maxSends: 1, filesSentOnce: 20 }]),
  cell('big', 'inotifywait', [{ convergeMs: 1500, sentOnce: 0, maxSends: 3, filesSentOnce: 17 }]),
  cell('idle', 'rsync-live', [{ watchingMs: 900, idleCpuSec: 0.01, rssMB: 160, idleRssMB: 120 }]),
  cell('startup', 'rsync-live', [{ watchingMs: 12_000, syncedMs: 15_000, rssMB: 300 }]),
];

describe('bench targets', () => {
  const byId = Object.fromEntries(evaluateTargets(CELLS, 120_000).map((t) => [t.id, t]));

  it('burst: holds under 1 s, misses against the floor by the ratio over 0.6×', () => {
    expect(byId['burst-1s']?.verdict).toBe('holds');
    expect(byId['burst-1s']?.value).toBe('0.80 s');
    // 800 / 600 = 1.33× > 0.6×
    expect(byId['burst-floor-0.6']?.verdict).toBe('misses');
  });

  it('ratios against peers: lsyncd 25× holds the 10× target, inotifywait 2.5× misses the 4× target', () => {
    expect(byId['burst-vs-lsyncd']?.verdict).toBe('holds');
    expect(byId['burst-vs-lsyncd']?.value).toBe('25.0×');
    expect(byId['burst-vs-inotifywait']?.verdict).toBe('misses');
    expect(byId['burst-vs-inotifywait']?.detail).toMatch(/2\.50× instead of 4\.00×/);
  });

  it('latency: p50 holds, p90 misses by 10 ms (17 %); no run without TCP_NODELAY is n/a', () => {
    expect(byId['latency-p50']?.verdict).toBe('holds');
    expect(byId['latency-p90']?.verdict).toBe('misses');
    expect(byId['latency-p90']?.detail).toBe('misses by 10.0 ms (17 % over)');
    expect(byId['latency-no-nodelay-p50']?.verdict).toBe('n/a');
  });

  it('three targets: the worst target against 1.3× the single-target burst', () => {
    // 1100 / 800 = 1.375 > 1.3
    expect(byId['three']?.verdict).toBe('misses');
    expect(byId['three']?.value).toMatch(/^0\.90 s \/ 1\.00 s \/ 1\.10 s vs 0\.80 s single/);
  });

  it('CPU against each lsyncd, idle, RSS, large tree, big files', () => {
    expect(byId['cpu-lsyncd-0.1s']?.verdict).toBe('holds');
    expect(byId['cpu-lsyncd-15s']?.verdict).toBe('misses');
    expect(byId['idle-cpu']?.verdict).toBe('holds');
    expect(byId['idle-rss']?.verdict).toBe('misses');
    expect(byId['idle-rss']?.detail).toBe('misses by 10 MB (7 % over)');
    expect(byId['large-watching']?.verdict).toBe('misses');
    expect(byId['large-rss']?.verdict).toBe('holds');
    expect(byId['big-once']?.verdict).toBe('holds');
  });

  it('a peer that never converged gives a lower bound on the ratio', () => {
    const cells = [cell('burst', 'rsync-live', [{ convergeMs: 1000 }]), cell('burst', 'lsyncd-0.1s', [null])];
    const t = evaluateTargets(cells, 120_000).find((x) => x.id === 'burst-vs-lsyncd');
    expect(t?.verdict).toBe('holds');
    expect(t?.value).toBe('> 120.0×');
  });
});

const RESULTS: BenchResults = {
  startedAt: '2026-11-26T10:00:00.000Z',
  durationSec: 1800,
  quick: false,
  runs: 3,
  timeoutSec: 120,
  settleSec: 3,
  sizes: FULL_SIZES,
  sourceBase: '/dev/shm',
  machine: {
    cpu: 'Test CPU',
    cores: 2,
    memGiB: 24,
    kernel: '6.1',
    os: 'Debian',
    node: 'v20.20.2',
    rsync: 'rsync version 3.5.0',
    lsyncd: '2.2.3',
    inotifywait: '3.22.6.0',
    engine: 'commit abc1234',
  },
  toolConfigs: {
    'lsyncd-0.1s': lsyncdConfig({
      source: 'SRC',
      targets: ['rsync://u@h:1/t1'],
      passwordFile: 'PW',
      delay: 0.1,
    }),
  },
  cells: CELLS,
  targets: evaluateTargets(CELLS, 120_000),
  findings: findingsOf(CELLS),
  loadAverage: { min: 0.5, median: 1.2, max: 2.5 },
};

describe('bench report', () => {
  it('rendering again keeps the hand-written sections after the marker', () => {
    const previous = `# Benchmarks\n\nold results\n\n${HAND_WRITTEN_MARKER}\n\n## Watcher start-up\n\nmeasured by hand\n`;
    expect(keepHandWritten(previous, '# Benchmarks\n\nnew results\n')).toBe(
      `# Benchmarks\n\nnew results\n\n${HAND_WRITTEN_MARKER}\n\n## Watcher start-up\n\nmeasured by hand\n`,
    );
    expect(keepHandWritten('# Benchmarks\n\nold\n', 'new\n')).toBe('new\n');
    expect(keepHandWritten(null, 'new\n')).toBe('new\n');
  });

  it('markdownTable escapes pipes and newlines', () => {
    expect(markdownTable(['a', 'b'], [['x|y', 'line\nbreak']])).toBe(
      '| a | b |\n|---|---|\n| x\\|y | line break |',
    );
  });

  it('results table: one column per tool that ran, medians with ranges, "did not converge"', () => {
    const table = resultsTable(RESULTS);
    const lines = table.split('\n');
    expect(lines[0]).toBe(
      '| workload | figure | Rsync Live | lsyncd, delay 0.1 s | lsyncd, default delay 15 s | inotifywait script | floor (one rsync -a) |',
    );
    expect(table).toContain(
      '| (a) burst | converged after the last write | 0.80 s (0.70 s–0.90 s) | 20.0 s | 30.0 s | 2.00 s | 0.60 s (0.50 s–0.70 s) |',
    );
    expect(table).toMatch(
      /\| \(d\) churn, odd names \| converged after the last operation \| 0\.40 s \| \*\*did not converge\*\* \|/,
    );
    expect(table).toContain('| 25.0 ms / 70.0 ms / 90.0 ms |');
  });

  it('ratios: peer ÷ Rsync Live, a lower bound when the peer never converged, and Rsync Live ÷ floor', () => {
    const table = ratiosTable(RESULTS);
    expect(table).toContain('| (a) burst | 25.0× | 37.5× | 2.50× | 1.33× |');
    expect(table).toContain('> 300.0× (peer did not converge)');
  });

  it('targets table marks each verdict', () => {
    expect(targetsTable(RESULTS)).toContain(
      '| Burst: ≥ 4× faster than the inotifywait script | 2.50× | ❌ misses |',
    );
  });

  it('findings name peers that never converged and files sent more than once', () => {
    expect(RESULTS.findings).toEqual([
      'lsyncd, delay 0.1 s, (d) churn, odd names: did not converge in 1 of 1 run(s): did not converge within 120 s of the last operation: 3 path(s) differ',
      'inotifywait script, (c) big files: a file was sent up to 3 times (as few as 17 files were sent exactly once in a run): files were sent while still being written, then again.',
    ]);
  });

  it('the document has the results, targets, findings, chart and method with the exact tool configs', () => {
    const md = renderMarkdown(RESULTS, 'benchmarks.png');
    for (const heading of ['# Benchmarks', '## Results', '## Targets', '## Findings', '## Method'])
      expect(md).toContain(`\n${heading}\n`.slice(heading.startsWith('# ') ? 1 : 0));
    expect(md).toContain('![Convergence times per workload and tool, log scale](benchmarks.png)');
    expect(md).toContain('took 30 min');
    expect(md).toContain('    delay = 0.1,');
    expect(md).toContain('password_file = "PW"');
    expect(md).not.toContain('Quick run');
  });
});

describe('bench chart', () => {
  it('one group per measured workload, DNC bars as null, the floor at start-up uses its sync time', () => {
    const data = chartData(RESULTS);
    expect(data.map((d) => d.group.workload)).toEqual([
      'burst',
      'three',
      'latency',
      'big',
      'churn',
      'startup',
    ]);
    const churn = data.find((d) => d.group.workload === 'churn');
    expect(churn?.bars).toEqual([
      { tool: 'rsync-live', ms: 400 },
      { tool: 'lsyncd-0.1s', ms: null },
    ]);
  });

  it('renders an SVG with a legend entry per tool and decade labels', () => {
    const svg = renderChartSvg(RESULTS);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>Rsync Live</text>');
    expect(svg).toContain('>DNC</text>');
    expect(axisLabel(10)).toBe('10 ms');
    expect(axisLabel(10_000)).toBe('10 s');
  });
});

describe('bench churn differences', () => {
  it('sorts manifest differences by kind and flags odd names', () => {
    const kinds = diffKinds([
      'missing on target: "d1/q]r" (file)',
      'missing on target: "d1/\\xffx" (not UTF-8) (file)',
      'missing on target: "plain/name" (dir)',
      'extra on target: "old" (file)',
      'differs: "d81/f126": sha256 54a43fc22950 != 9a9876a5e1f7',
      'differs: "d2": mode 755 != 700',
    ]);
    expect(kinds).toEqual({ missing: 3, extra: 1, content: 1, other: 1, oddNames: 2 });
    expect(diffKinds(['extra on target: "q]r" (file)']).oddNames).toBe(0);
  });

  it('explains what the differences left at a timeout suggest', () => {
    expect(explainDiffs({})).toBe('');
    const text = explainDiffs({ diffs_missing: 3, diffs_extra: 2, diffs_oddNames: 3, diffs_content: 1 });
    expect(text).toMatch(/^ \(3 path\(s\) missing on the target, 3 of them with a byte/);
    expect(text).toContain('; 2 path(s) deleted on the source but still on the target;');
    expect(text).toContain(
      "1 file(s) of the right size with old content: same-size rewrites within one second, which rsync's quick check",
    );
  });
});

describe('bench tool logs and configs', () => {
  it('whyInLog prefers the delete guard message, else the last error line', () => {
    const guard =
      'error: [watch] deletions paused: a change would delete 1272 of 1902 entries of the backup of /src; nothing is deleted';
    expect(
      whyInLog(`[watch] watching /src (1 directories, inotify)\nerror: [watch] x vanished\n${guard}\n`),
    ).toEqual([`the tool's log: ${guard}`]);
    expect(
      whyInLog(
        '11:08:27 Normal: --- Startup ---\n11:08:27 Error: Terminating since out of inotify watches.\n',
      ),
    ).toEqual(["last error in the tool's log: 11:08:27 Error: Terminating since out of inotify watches."]);
    expect(whyInLog('all fine\n')).toEqual([]);
  });

  it('the no-guard variant differs from the defaults only in deleteGuard.enabled', () => {
    const config = JSON.parse(noGuardConfig('/src', ['rsync://u@h:1/t1', 'rsync://u@h:1/t2'], '/pw')) as {
      pairs: Record<string, unknown>[];
    };
    expect(config.pairs).toEqual([
      {
        id: 'bench',
        folder: '/src',
        targets: [
          { id: 't1', url: 'rsync://u@h:1/t1', passwordFile: '/pw' },
          { id: 't2', url: 'rsync://u@h:1/t2', passwordFile: '/pw' },
        ],
        deleteGuard: { enabled: false },
      },
    ]);
  });

  it('lsyncd config: one sync per target, the delay only when set, archive and the password file', () => {
    const lua = lsyncdConfig({
      source: '/src',
      targets: ['rsync://a/t1', 'rsync://a/t2'],
      passwordFile: '/p"w',
      delay: null,
    });
    expect(lua.match(/sync \{/g)).toHaveLength(2);
    expect(lua).not.toContain('delay');
    expect(lua).toContain('    source = "/src/",');
    expect(lua).toContain('    target = "rsync://a/t2/",');
    expect(lua).toContain('        password_file = "/p\\"w",');
    expect(lua).toContain('        archive = true,');
  });
});

describe('bench markdown helpers', () => {
  it('code spans hold backticks; long lines lose their middle', () => {
    expect(codeSpan('a b')).toBe('`a b`');
    expect(codeSpan('x`y')).toBe('``x`y``');
    expect(codeSpan('`edge')).toBe('`` `edge ``');
    expect(shorten('abcdefghij', 6)).toBe('ab…hij');
    expect(shorten('abc', 4)).toBe('abc');
  });
});
