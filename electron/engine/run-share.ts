// How much of what waits in a target's queue one freed run slot takes: the rule that keeps every slot sending
// during a burst and splits what is left after its last write evenly between the slots, instead of one slot
// taking everything while another run is in flight (then sending it alone) or halving the rest again and
// again (a tail of ever smaller runs, each paying rsync's start-up). Pure.
import { owesOldPath, type PathChange } from './path-change.js';

/**
 * What a change weighs in a run: one entry, or for a new directory sent recursively, every entry the coalescer
 * saw settle below it. Moves and deletions weigh nothing: they are cheap, and a run takes all of them that can
 * go (the moves of a swap must travel together, see TargetQueue#take).
 */
export function runWeight(change: PathChange): number {
  if (owesOldPath(change)) return 0;
  return 1 + (change.covers ?? 0);
}

export interface RunInFlight {
  /** The run's weight (runWeight summed over its changes). */
  weight: number;
  /** When it started (the clock's ms). */
  startedAt: number;
}

/**
 * The weight a freed slot takes: its even part of the work left, counting what waits and an estimate of what
 * the runs in flight still have to do (a run started just now: all of it; an older one: half of it, what a run
 * seen at a random moment has left on average). At least 1, at most everything that waits.
 */
export function shareFor(
  pendingWeight: number,
  inFlight: readonly RunInFlight[],
  now: number,
  concurrency: number,
): number {
  let left = pendingWeight;
  for (const run of inFlight) left += run.startedAt >= now ? run.weight : run.weight / 2;
  const even = Math.ceil(left / concurrency);
  return Math.max(1, Math.min(pendingWeight, even));
}
