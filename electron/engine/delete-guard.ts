// The delete guard's decisions, kept pure: when a batch of deletions is too large to send without asking, and
// the messages that tell the user what happened and how to confirm. "Never wipe a backup because a disk was
// unplugged."
import type { DeleteGuardReason } from '../shared/state.js';

export interface GuardLimits {
  enabled: boolean;
  maxShare: number;
  minEntries: number;
}

/** True when `deletes` would remove at least minEntries entries and more than maxShare of what the folder had. */
export function isMassDelete(deletes: number, remainingEntries: number, limits: GuardLimits): boolean {
  if (!limits.enabled || deletes < limits.minEntries) return false;
  return deletes / (deletes + remainingEntries) > limits.maxShare;
}

const HOW_TO_CONFIRM =
  'check the disk; if the deletions are intended, confirm them in Rsync Live (Failures → Confirm deletions) ' +
  'or restart rsync-live with --confirm-deletions';

export function guardMessage(reason: DeleteGuardReason, folder: string, detail = ''): string {
  const what: Record<DeleteGuardReason, string> = {
    'folder-missing': `the folder ${folder} is gone (unmounted disk, renamed or deleted?)`,
    'folder-replaced': `the folder ${folder} was replaced by another directory (a disk mounted or unmounted over it?)`,
    'folder-empty': `the folder ${folder} is empty but its backup is not`,
    'mass-delete': `a change would delete ${detail || 'most of'} the backup of ${folder}`,
  };
  return `deletions paused: ${what[reason]}; nothing is deleted on the targets until you confirm: ${HOW_TO_CONFIRM}`;
}
