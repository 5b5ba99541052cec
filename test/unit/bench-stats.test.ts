import { describe, expect, it } from 'vitest';
import { parseOptions, parseTools, parseWorkloads, QUICK_SIZES, UsageError } from '../../bench/config.js';
import { parseDaemonLog } from '../../bench/daemon-log.js';
import {
  formatBytes,
  formatMs,
  formatRatio,
  formatSeconds,
  median,
  medianMetrics,
  percentile,
} from '../../bench/stats.js';
import type { RunResult } from '../../bench/types.js';

describe('bench statistics', () => {
  it('median: middle value, mean of the two middle values, null when empty, NaN ignored', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(median([NaN, 5])).toBe(5);
  });

  it('percentile: nearest rank', () => {
    const xs = Array.from({ length: 200 }, (_, i) => i + 1); // 1..200
    expect(percentile(xs, 50)).toBe(100);
    expect(percentile(xs, 90)).toBe(180);
    expect(percentile(xs, 100)).toBe(200);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([], 50)).toBeNull();
  });

  it('medianMetrics uses converged runs only and skips metrics a run lacks', () => {
    const run = (converged: boolean, metrics: Record<string, number>): RunResult => ({
      run: 1,
      converged,
      metrics,
      notes: [],
    });
    const m = medianMetrics([
      run(true, { convergeMs: 100, cpuSec: 1 }),
      run(true, { convergeMs: 300 }),
      run(false, { convergeMs: 1, cpuSec: 99 }),
      run(true, { convergeMs: 200, cpuSec: 3 }),
    ]);
    expect(m).toEqual({ convergeMs: 200, cpuSec: 2 });
    expect(medianMetrics([run(false, { convergeMs: 5 })])).toEqual({});
  });

  it('formats seconds, milliseconds, bytes and ratios for people', () => {
    expect(formatSeconds(84)).toBe('0.084 s');
    expect(formatSeconds(1234)).toBe('1.23 s');
    expect(formatSeconds(18_400)).toBe('18.4 s');
    expect(formatSeconds(123_456)).toBe('123 s');
    expect(formatMs(30.24)).toBe('30.2 ms');
    expect(formatMs(264.4)).toBe('264 ms');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(84_000_000)).toBe('84.0 MB');
    expect(formatBytes(1_048_576_000)).toBe('1.05 GB');
    expect(formatRatio(3.254)).toBe('3.25×');
    expect(formatRatio(42.42)).toBe('42.4×');
    expect(formatRatio(Infinity)).toBe('—');
  });
});

describe('bench options', () => {
  it('defaults: the issue sizes, 3 runs, every workload and tool, docs/ as output', () => {
    const o = parseOptions([]);
    expect(o.runs).toBe(3);
    expect(o.sizes.burstFiles).toBe(20_000);
    expect(o.sizes.largeDirs).toBe(100_000);
    expect(o.partial).toBe(false);
    expect(o.outDir).toBe('docs');
    expect(o.timeoutMs).toBe(120_000);
    expect(o.tools).toContain('floor');
    expect(o.sourceBase).toBeNull();
    expect(parseOptions(['--source-base', '/var/tmp']).sourceBase).toBe('/var/tmp');
  });

  it('--quick: small sizes, one run, output under bench/results', () => {
    const o = parseOptions(['--quick', '--runs=2']);
    expect(o.sizes).toEqual(QUICK_SIZES);
    expect(o.runs).toBe(2);
    expect(o.outDir).toBe('bench/results/quick');
    expect(o.partial).toBe(true);
  });

  it('--only takes the issue letters and workload ids, in run order; --tools expands "lsyncd"', () => {
    expect(parseWorkloads('f,a')).toEqual(['burst', 'idle', 'startup']);
    expect(parseWorkloads('b,churn-plain')).toEqual(['latency', 'latency-no-nodelay', 'churn-plain']);
    expect(parseTools('floor,lsyncd')).toEqual(['lsyncd-0.1s', 'lsyncd-15s', 'floor']);
    const o = parseOptions(['--only', 'a', '--tools', 'rsync-live', '--timeout', '30', '--settle', '1.5']);
    expect(o.workloads).toEqual(['burst']);
    expect(o.tools).toEqual(['rsync-live']);
    expect(o.timeoutMs).toBe(30_000);
    expect(o.settleMs).toBe(1500);
    expect(o.outDir).toBe('bench/results');
  });

  it('rejects unknown flags, workloads, tools and bad numbers with a message naming them', () => {
    expect(() => parseOptions(['--fast'])).toThrow(UsageError);
    expect(() => parseOptions(['--only', 'z'])).toThrow(/unknown workload z/);
    expect(() => parseOptions(['--tools', 'sersync'])).toThrow(/unknown tool sersync/);
    expect(() => parseOptions(['--runs', '0'])).toThrow(/--runs must be a positive integer/);
    expect(() => parseOptions(['--timeout'])).toThrow(/--timeout needs a value/);
  });
});

describe('bench daemon log', () => {
  const log = [
    '2026/11/26 10:51:45 [100] connect from UNDETERMINED (127.0.0.1)',
    '2026/11/26 10:51:45 [100] rsync to t1/ from backup@UNDETERMINED (127.0.0.1)',
    '2026/11/26 10:51:45 [100] receiving file list',
    '2026/11/26 10:51:45 [100] XFER|t1|recv|4130|4096|d000/f0000',
    '2026/11/26 10:51:45 [100] XFER|t1|recv|4130|4096|d000/f0001',
    '2026/11/26 10:51:45 [100] XFER|t1|del.|0|0|old',
    '2026/11/26 10:51:45 [100] sent 51 bytes  received 8,400 bytes  total size 8192',
    '2026/11/26 10:51:46 [101] rsync to t2/ from backup@UNDETERMINED (127.0.0.1)',
    '2026/11/26 10:51:46 [101] XFER|t2|recv|4130|4096|d000/f0000',
    '2026/11/26 10:51:46 [102] rsync to t1/ from backup@UNDETERMINED (127.0.0.1)',
    '2026/11/26 10:51:46 [102] XFER|t1|recv|1,000|4096|a|b with a pipe',
    '2026/11/26 10:51:46 [102] XFER|t1|recv|4130|4096|d000/f0000',
  ].join('\n');

  it('sums %b per module, counts sends per file, deletions and connections', () => {
    const t = parseDaemonLog(log, new Set(['t1']));
    expect(t.sessions).toBe(2);
    expect(t.dataBytes).toBe(4130 * 3 + 1000);
    expect(t.deletions).toBe(1);
    expect(t.files.get('d000/f0000')).toEqual({ count: 2, bytes: 8260 });
    expect(t.files.get('a|b with a pipe')).toEqual({ count: 1, bytes: 1000 });
    const both = parseDaemonLog(log, new Set(['t1', 't2']));
    expect(both.sessions).toBe(3);
    expect(both.files.get('d000/f0000')?.count).toBe(3);
    expect(parseDaemonLog(log, new Set(['t3'])).dataBytes).toBe(0);
  });
});
