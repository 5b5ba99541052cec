// Benchmark suite: turns the cells into the report's findings: runs that did not converge (with the first
// differences), big files sent more than once, latency samples that never arrived. Pure.
import { WORKLOAD_TITLES } from './report.js';
import { TOOL_LABELS, type Cell, type Metrics } from './types.js';

/** What the kinds of differences left at the timeout suggest (churn runs record them as diffs_* metrics). */
export function explainDiffs(m: Metrics): string {
  const parts: string[] = [];
  const missing = m['diffs_missing'] ?? 0;
  const odd = m['diffs_oddNames'] ?? 0;
  if (missing > 0) {
    parts.push(
      `${missing} path(s) missing on the target, ${odd} of them with a byte in the path that rsync filter rules ` +
        'treat specially (`[`, `]`, `*`, `?`, `\\`, `#`, `;`) or that is not printable ASCII',
    );
  }
  const extra = m['diffs_extra'] ?? 0;
  if (extra > 0) parts.push(`${extra} path(s) deleted on the source but still on the target`);
  const content = m['diffs_content'] ?? 0;
  if (content > 0) {
    parts.push(
      `${content} file(s) of the right size with old content: same-size rewrites within one second, which ` +
        "rsync's quick check (size and whole-second mtime) skips",
    );
  }
  const other = m['diffs_other'] ?? 0;
  if (other > 0) parts.push(`${other} path(s) with another mode, type, size or symlink target`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

export function findingsOf(cells: readonly Cell[]): string[] {
  const out: string[] = [];
  for (const cell of cells) {
    const who = `${TOOL_LABELS[cell.tool]}, ${WORKLOAD_TITLES[cell.workload]}`;
    const failed = cell.runs.filter((r) => !r.converged);
    if (failed.length > 0) {
      const notes = failed[0]?.notes ?? [];
      const fromLog = (n: string): boolean => n.startsWith("the tool's log") || n.startsWith('last error');
      const first =
        (notes.find((n) => !fromLog(n)) ?? notes[0])?.split('\n')[0]?.replace(/, e\.g\.$/, '') ?? 'no detail';
      const guard = notes.find((n) => n.includes('deletions paused'));
      const lastError = notes.find((n) => n.startsWith('last error'));
      const skipped = cell.skipped ? ' (later runs skipped)' : '';
      out.push(
        `${who}: did not converge in ${failed.length} of ${cell.runs.length} run(s)${skipped}: ${first}` +
          explainDiffs(failed[0]?.metrics ?? {}) +
          (guard
            ? `; the delete guard tripped (${guard.slice(guard.indexOf('deletions paused')).split(';')[0]})`
            : lastError && first !== lastError
              ? `; ${lastError}`
              : ''),
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
