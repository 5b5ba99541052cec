// Benchmark suite, workload (c): 20 × 50 MiB files written one after another (1 MiB writes). Figures: time from
// the last write until every file is on the target at full size, bytes sent, and how many times each file was
// sent (the daemon's transfer log): a file sent once, and complete, was sent after its last write. The source is on
// the disk, not the tmpfs: writing 1 GiB there stalls now and then (dirty-page throttling), as real writes do.
import type { BenchTarget } from '../daemons.js';
import { floorSync } from '../tools/floor.js';
import { waitForFiles } from '../converge.js';
import type { Metrics } from '../types.js';
import { writeBigFiles, type Written } from '../writers.js';
import { outcomeOfWaits } from './burst.js';
import type { Scenario, SuiteContext } from './harness.js';

export function bigScenario(ctx: SuiteContext, target: BenchTarget): Scenario {
  const s = ctx.opts.sizes;
  let written: Written | undefined;
  return {
    workload: 'big',
    targets: [target],
    sourceOnDisk: true,
    async act(src) {
      written = writeBigFiles(src, s.bigFiles, s.bigFileMiB);
      const wait = await waitForFiles(
        target.path,
        written.expected,
        written.lastWriteAt,
        written.lastWriteAt + ctx.opts.timeoutMs,
      );
      return outcomeOfWaits(written, [wait], ctx.opts.timeoutMs);
    },
    async floor(src) {
      written = writeBigFiles(src, s.bigFiles, s.bigFileMiB);
      const f = await floorSync(src, [target], ctx.daemons.passwordFile);
      const metrics: Metrics = {
        writeMs: written.writeMs,
        cpuSec: f.cpuSec,
        convergeMs: f.perTargetMs[0] ?? NaN,
      };
      return { converged: f.errors.length === 0, metrics, notes: f.errors };
    },
    transfers(t, outcome) {
      if (!written) return;
      let maxSends = 0;
      let once = 0;
      const extra: string[] = [];
      for (const rel of written.expected.keys()) {
        const n = t.files.get(rel)?.count ?? 0;
        maxSends = Math.max(maxSends, n);
        if (n === 1) once++;
        else if (extra.length < 5) extra.push(`${rel} sent ${n}×`);
      }
      outcome.metrics['maxSends'] = maxSends;
      outcome.metrics['filesSentOnce'] = once;
      outcome.metrics['sentOnce'] = once === written.expected.size ? 1 : 0;
      outcome.metrics['sendRatio'] = t.dataBytes / (written.expected.size * s.bigFileMiB * 2 ** 20);
      if (extra.length > 0) outcome.notes.push(`not sent exactly once: ${extra.join(', ')}`);
    },
  };
}
