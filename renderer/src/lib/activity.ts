// The Activity list as the window keeps it: the entries loaded and those pushed since, merged, each once.
import type { BatchSummary } from '../../../electron/shared/state.ts';

export const ACTIVITY_LIMIT = 200;

/** One Activity entry: a job can end in several runs (same runId), each numbered by the service (seq). */
export const batchKey = (batch: BatchSummary): string =>
  `${batch.pairId}/${batch.targetId}/${batch.runId}/${batch.seq ?? ''}/${batch.at}`;

/** Both lists as one, each batch once, newest first, at most ACTIVITY_LIMIT. */
export function mergeActivity(a: BatchSummary[], b: BatchSummary[]): BatchSummary[] {
  const byKey = new Map<string, BatchSummary>();
  for (const batch of [...a, ...b]) if (!byKey.has(batchKey(batch))) byKey.set(batchKey(batch), batch);
  return [...byKey.values()].sort((x, y) => y.at.localeCompare(x.at)).slice(0, ACTIVITY_LIMIT);
}
