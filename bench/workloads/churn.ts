// Benchmark suite, workload (d): a seeded random churn (test/helpers/churn.ts: files, directories, renames,
// rm -rf, mkdir -p, symlinks, hard links, chmod, odd byte names) with a fixed seed; figure: time from the last
// operation until the target's manifest equals the source's. Also a plain-names variant (only names like
// f12/d7), because some peers cannot sync some names at all.
import { Churn, knownEngineBugTriggers } from '../../test/helpers/churn.js';
import { waitForTree } from '../converge.js';
import type { BenchTarget } from '../daemons.js';
import { floorSync } from '../tools/floor.js';
import type { Metrics } from '../types.js';
import type { Outcome, Scenario, SuiteContext } from './harness.js';

export function churnScenario(ctx: SuiteContext, plainNames: boolean, target: BenchTarget): Scenario {
  const s = ctx.opts.sizes;
  const churn = async (src: string): Promise<{ lastWriteAt: number; metrics: Metrics }> => {
    const t0 = performance.now();
    const c = await Churn.open(src, s.churnSeed);
    // Writes through one name of a hard-linked file stay out, as in every run before hard-links.ts: the churn
    // figures stay comparable across runs, and with the peers (lsyncd, like inotify, sees only the name written).
    const stats = await c.run({
      ops: s.churnOps,
      ...knownEngineBugTriggers(),
      writeHardLinked: false,
      plainNames,
    });
    const lastWriteAt = performance.now();
    return {
      lastWriteAt,
      metrics: { writeMs: lastWriteAt - t0, opsApplied: stats.applied, entries: stats.entries },
    };
  };
  const describeMiss = (count: number, examples: string[]): string =>
    `did not converge within ${ctx.opts.timeoutMs / 1000} s of the last operation: ${count} path(s) differ, e.g.\n` +
    examples.map((e) => `    ${e}`).join('\n');
  return {
    workload: plainNames ? 'churn-plain' : 'churn',
    targets: [target],
    async act(src): Promise<Outcome> {
      const { lastWriteAt, metrics } = await churn(src);
      const w = await waitForTree(src, target.path, lastWriteAt, lastWriteAt + ctx.opts.timeoutMs);
      if (w.doneAt === null) {
        metrics['diffs'] = w.missingCount;
        for (const [kind, n] of Object.entries(w.kinds ?? {})) metrics[`diffs_${kind}`] = n;
        return { converged: false, metrics, notes: [describeMiss(w.missingCount, w.missing)] };
      }
      metrics['convergeMs'] = w.doneAt - lastWriteAt;
      return { converged: true, metrics, notes: [] };
    },
    async floor(src): Promise<Outcome> {
      const { metrics } = await churn(src);
      const f = await floorSync(src, [target], ctx.daemons.passwordFile);
      metrics['cpuSec'] = f.cpuSec;
      metrics['convergeMs'] = f.perTargetMs[0] ?? NaN;
      const now = performance.now();
      const check = await waitForTree(src, target.path, now, now);
      const notes = [...f.errors];
      if (check.doneAt === null) notes.push(describeMiss(check.missingCount, check.missing));
      return { converged: f.errors.length === 0 && check.doneAt !== null, metrics, notes };
    },
  };
}
