// Benchmark suite: turns the cells into the report's findings: runs that did not converge (with the first
// differences), big files sent more than once, latency samples that never arrived. Pure.
import { WORKLOAD_TITLES } from './report.js';
import { TOOL_LABELS, type Cell } from './types.js';

export function findingsOf(cells: readonly Cell[]): string[] {
  const out: string[] = [];
  for (const cell of cells) {
    const who = `${TOOL_LABELS[cell.tool]}, ${WORKLOAD_TITLES[cell.workload]}`;
    const failed = cell.runs.filter((r) => !r.converged);
    if (failed.length > 0) {
      const first = failed[0]?.notes[0]?.split('\n')[0] ?? 'no detail';
      const skipped = cell.skipped ? ' (later runs skipped)' : '';
      out.push(
        `${who}: did not converge in ${failed.length} of ${cell.runs.length} run(s)${skipped}: ${first}`,
      );
    }
    if (cell.workload === 'big') {
      const most = Math.max(0, ...cell.runs.map((r) => r.metrics['maxSends'] ?? 0));
      if (most > 1) {
        const files = Math.min(...cell.runs.map((r) => r.metrics['filesSentOnce'] ?? 0));
        out.push(
          `${who}: a file was sent up to ${most} times (as few as ${files} files were sent exactly once in a run): ` +
            'files were sent while still being written, then again.',
        );
      }
    }
  }
  return out;
}
