// Benchmark suite, workloads (a) and (e): the burst (20,000 × 4 KiB files in 400 new directories, written as fast
// as possible) into one target, or into three targets at once. Figure: time from the last write until each
// target holds every file at its size.
import { waitForFiles, type WaitOutcome } from '../converge.js';
import type { BenchTarget } from '../daemons.js';
import { floorSync } from '../tools/floor.js';
import type { Metrics, WorkloadId } from '../types.js';
import { writeBurst, type Written } from '../writers.js';
import type { Outcome, Scenario, SuiteContext } from './harness.js';

/** Turns per-target waits into an outcome: convergeMs is the slowest target; targetNMs each one. */
export function outcomeOfWaits(written: Written, waits: readonly WaitOutcome[], timeoutMs: number): Outcome {
  const metrics: Metrics = { writeMs: written.writeMs };
  const notes: string[] = [];
  let converged = true;
  let slowest = 0;
  waits.forEach((w, i) => {
    if (w.doneAt === null) {
      converged = false;
      notes.push(
        `target ${i + 1}: did not converge within ${timeoutMs / 1000} s of the last write: ` +
          `${w.missingCount} of ${written.expected.size} files missing or incomplete (e.g. ${w.missing.join(', ')})`,
      );
      metrics[`target${i + 1}Missing`] = w.missingCount;
    } else {
      const ms = w.doneAt - written.lastWriteAt;
      if (waits.length > 1) metrics[`target${i + 1}Ms`] = ms;
      slowest = Math.max(slowest, ms);
    }
  });
  if (converged) metrics['convergeMs'] = slowest;
  return { converged, metrics, notes };
}

export function burstScenario(ctx: SuiteContext, workload: WorkloadId, targets: BenchTarget[]): Scenario {
  const s = ctx.opts.sizes;
  const timeoutMs = ctx.opts.timeoutMs;
  return {
    workload,
    targets,
    async act(src) {
      const written = writeBurst(src, s.burstFiles, s.burstDirs, s.burstFileBytes);
      const deadline = written.lastWriteAt + timeoutMs;
      const waits = await Promise.all(
        targets.map((t) => waitForFiles(t.path, written.expected, written.lastWriteAt, deadline)),
      );
      return outcomeOfWaits(written, waits, timeoutMs);
    },
    async floor(src) {
      const written = writeBurst(src, s.burstFiles, s.burstDirs, s.burstFileBytes);
      const f = await floorSync(src, targets, ctx.daemons.passwordFile);
      const metrics: Metrics = { writeMs: written.writeMs, cpuSec: f.cpuSec };
      f.perTargetMs.forEach((ms, i) => {
        if (targets.length > 1) metrics[`target${i + 1}Ms`] = ms;
      });
      metrics['convergeMs'] = Math.max(...f.perTargetMs);
      // The floor must have delivered everything too.
      const now = performance.now();
      const checks = await Promise.all(targets.map((t) => waitForFiles(t.path, written.expected, now, now)));
      const incomplete = checks.filter((c) => c.doneAt === null).length;
      const notes = [...f.errors];
      if (incomplete > 0) notes.push(`${incomplete} target(s) incomplete after the floor rsync`);
      return { converged: f.errors.length === 0 && incomplete === 0, metrics, notes };
    },
  };
}
