// Benchmark suite, workload (b): 200 single 1 KiB files written 50 ms apart; per file, the time from its close
// until its final name appears in the target module (fs.watch on the module directory: rsync writes a
// temporary name and renames it). Run against the TCP_NODELAY daemon and against the one without it.
import { watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reapedChildrenCpuSeconds } from '../measure.js';
import { percentile } from '../stats.js';
import type { BenchTarget } from '../daemons.js';
import { floorSendFile } from '../tools/floor.js';
import type { Metrics, WorkloadId } from '../types.js';
import { sleep, type Outcome, type Scenario, type SuiteContext } from './harness.js';

export function latencyScenario(ctx: SuiteContext, workload: WorkloadId, target: BenchTarget): Scenario {
  const s = ctx.opts.sizes;
  const payload = Buffer.alloc(s.latencyFileBytes, 0x37);
  const measure = async (src: string, afterWrite?: (name: string) => Promise<void>): Promise<Outcome> => {
    const seen = new Map<string, number>();
    const watcher = watch(target.path, (_type, name) => {
      if (name && name.startsWith('lat-') && !seen.has(name)) seen.set(name, performance.now());
    });
    const written = new Map<string, number>();
    let lastWriteAt = performance.now();
    try {
      for (let i = 0; i < s.latencySamples; i++) {
        const name = `lat-${String(i).padStart(4, '0')}`;
        writeFileSync(path.join(src, name), payload);
        lastWriteAt = performance.now();
        written.set(name, lastWriteAt);
        if (afterWrite) await afterWrite(name);
        await sleep(s.latencyGapMs);
      }
      const deadline = lastWriteAt + ctx.opts.timeoutMs;
      while (seen.size < written.size && performance.now() < deadline) await sleep(10);
    } finally {
      watcher.close();
    }
    const latencies: number[] = [];
    for (const [name, t] of written) {
      const at = seen.get(name);
      if (at !== undefined) latencies.push(at - t);
    }
    const missing = written.size - latencies.length;
    const metrics: Metrics = { missing };
    const p50 = percentile(latencies, 50);
    const p90 = percentile(latencies, 90);
    if (p50 !== null) metrics['p50Ms'] = p50;
    if (p90 !== null) metrics['p90Ms'] = p90;
    if (latencies.length > 0) metrics['maxMs'] = Math.max(...latencies);
    if (missing === 0) metrics['convergeMs'] = Math.max(...seen.values()) - lastWriteAt;
    return {
      converged: missing === 0,
      metrics,
      notes: missing === 0 ? [] : [`${missing} of ${written.size} files never appeared on the target`],
    };
  };
  return {
    workload,
    targets: [target],
    act: (src) => measure(src),
    // The floor: one rsync of the file started right after its close, awaited before the next gap.
    async floor(src) {
      const cpu0 = reapedChildrenCpuSeconds();
      const outcome = await measure(src, async (name) => {
        await floorSendFile(src, name, target, ctx.daemons.passwordFile);
      });
      outcome.metrics['cpuSec'] = reapedChildrenCpuSeconds() - cpu0;
      return outcome;
    },
  };
}
