// Benchmark suite, workload (h): a slow writer (issue 13). One file written in chunks with pauses between
// them, held open throughout, then closed. Figures: how many times the file was sent (the daemon's transfer
// log; 1 = sent once, after its writer closed it), how many partial states of it the target showed while it
// was being written (polled every 20 ms; 0 = never visible half-written), and the time from the close until
// the target has it complete.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { waitForFiles } from '../converge.js';
import type { BenchTarget } from '../daemons.js';
import { floorSync } from '../tools/floor.js';
import type { Metrics } from '../types.js';
import { sleep, type Outcome, type Scenario, type SuiteContext } from './harness.js';

const FILE = 'recording.wav';

export function slowWriterScenario(ctx: SuiteContext, target: BenchTarget): Scenario {
  const s = ctx.opts.sizes;
  const chunk = Math.floor((s.slowWriterMiB * 2 ** 20) / s.slowWriterChunks);
  const total = chunk * s.slowWriterChunks;

  /** Writes the file; meanwhile counts the distinct incomplete sizes the target shows. */
  const write = async (src: string): Promise<{ closedAt: number; partial: Set<number> }> => {
    const partial = new Set<number>();
    const dest = path.join(target.path, FILE);
    const poll = setInterval(() => {
      try {
        const size = statSync(dest).size;
        if (size !== total) partial.add(size);
      } catch {
        // not there yet
      }
    }, 20);
    const fd = openSync(path.join(src, FILE), 'w');
    try {
      for (let i = 0; i < s.slowWriterChunks; i++) {
        writeSync(fd, randomBytes(chunk));
        if (i < s.slowWriterChunks - 1) await sleep(s.slowWriterPauseMs);
      }
    } finally {
      closeSync(fd);
    }
    const closedAt = performance.now();
    await sleep(s.slowWriterPauseMs); // a target that shows a partial file right before the close is caught too
    clearInterval(poll);
    return { closedAt, partial };
  };

  return {
    workload: 'slow-writer',
    targets: [target],
    async act(src): Promise<Outcome> {
      const { closedAt, partial } = await write(src);
      const w = await waitForFiles(
        target.path,
        new Map([[FILE, total]]),
        closedAt,
        closedAt + ctx.opts.timeoutMs,
      );
      const metrics: Metrics = { partialStates: partial.size };
      if (w.doneAt === null) return { converged: false, metrics, notes: [`${FILE} never arrived complete`] };
      const same = readFileSync(path.join(src, FILE)).equals(readFileSync(path.join(target.path, FILE)));
      metrics['convergeMs'] = Math.max(0, w.doneAt - closedAt);
      return {
        converged: same,
        metrics,
        notes: same ? [] : [`${FILE} on the target differs from the source`],
      };
    },
    async floor(src): Promise<Outcome> {
      await write(src);
      const f = await floorSync(src, [target], ctx.daemons.passwordFile);
      return {
        converged: f.errors.length === 0,
        metrics: { cpuSec: f.cpuSec, convergeMs: f.perTargetMs[0] ?? NaN, partialStates: 0 },
        notes: f.errors,
      };
    },
    transfers(t, outcome) {
      outcome.metrics['sends'] = t.files.get(FILE)?.count ?? 0;
    },
  };
}
