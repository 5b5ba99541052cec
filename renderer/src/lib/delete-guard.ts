// The delete guard in the UI, kept pure: a tripped guard as a failure entry, the words for what it holds
// back, and the pair form's guard fields (share in percent, minimum entries) to and from the pair config.
import type { FieldIssue } from '../../../electron/shared/api.ts';
import type { PairConfig } from '../../../electron/shared/config.ts';
import type { DeleteGuardState, SyncError } from '../../../electron/shared/state.ts';

export type GuardConfig = PairConfig['deleteGuard'];

export const DEFAULT_GUARD: GuardConfig = { enabled: true, maxShare: 0.5, minEntries: 1000 };

/** A tripped delete guard as a failure: the user must act, and nothing retries it by itself. */
export function guardError(guard: DeleteGuardState): SyncError {
  return {
    kind: 'delete-guard',
    class: 'config',
    message: guard.message,
    exitCode: null,
    since: guard.since,
    at: guard.since,
    attempts: 1,
    nextRetryAt: null,
  };
}

function deletions(count: number): string {
  return `${count} ${count === 1 ? 'deletion' : 'deletions'}`;
}

/** "3 deletions held", counted in entries (an rm -rf of 1,400 files is 1,400). */
export function heldText(held: number): string {
  return held > 0 ? `${deletions(held)} held` : 'deletions held (found by a full sync)';
}

/** The confirm dialog's sentence: what confirming does. */
export function confirmText(held: number): string {
  const what = held > 0 ? `${deletions(held)} will` : 'The deletions the full sync found will';
  return `${what} be applied to every target of this pair; the backup will then mirror the folder as it is now.`;
}

/** "and 1,300 more" under a list of the first paths held. */
export function moreText(listed: number, total: number): string | null {
  return total > listed ? `and ${(total - listed).toLocaleString('en-US')} more` : null;
}

/** What the guard is about, in a few words, for headings. */
export function guardReasonText(guard: Pick<DeleteGuardState, 'reason'>): string {
  switch (guard.reason) {
    case 'folder-missing':
      return 'the folder is gone';
    case 'folder-replaced':
      return 'the folder was replaced';
    case 'folder-unmounted':
      return "the folder's disk was unmounted";
    case 'mass-delete':
      return 'most of the folder would be deleted';
  }
}

/** The form's guard fields: numbers are null while their input is empty. */
export interface GuardDraft {
  enabled: boolean;
  /** Share of the folder's entries, in percent (the config keeps a fraction). */
  sharePercent: number | null;
  minEntries: number | null;
}

export function guardDraft(config: GuardConfig | undefined): GuardDraft {
  const guard = config ?? DEFAULT_GUARD;
  return {
    enabled: guard.enabled,
    // 0.5 → 50, 0.125 → 12.5: no float noise in the field.
    sharePercent: Math.round(guard.maxShare * 10_000) / 100,
    minEntries: guard.minEntries,
  };
}

/** What is wrong with the guard fields, or null. A switched-off guard keeps whatever the fields say. */
export function guardProblem(draft: GuardDraft): string | null {
  return guardIssues(draft)[0]?.message ?? null;
}

/** The guard's numbers out of range, each at its field ("deleteGuard.maxShare", "deleteGuard.minEntries"). */
export function guardIssues(draft: GuardDraft): FieldIssue[] {
  if (!draft.enabled) return [];
  const issues: FieldIssue[] = [];
  const share = draft.sharePercent;
  if (share === null || !Number.isFinite(share) || share < 1 || share > 100)
    issues.push({
      field: 'deleteGuard.maxShare',
      message: 'delete guard: the share of the folder must be a percentage from 1 to 100',
    });
  const min = draft.minEntries;
  if (min === null || !Number.isInteger(min) || min < 1)
    issues.push({
      field: 'deleteGuard.minEntries',
      message: 'delete guard: the minimum number of entries must be a whole number of at least 1',
    });
  return issues;
}

/** The config the form saves; fields left empty or invalid while the guard is off keep the stored values. */
export function guardInput(draft: GuardDraft, stored: GuardConfig | undefined): GuardConfig {
  const base = stored ?? DEFAULT_GUARD;
  const share = draft.sharePercent;
  const min = draft.minEntries;
  return {
    enabled: draft.enabled,
    maxShare:
      share !== null && Number.isFinite(share) && share >= 0 && share <= 100
        ? Math.round(share * 100) / 10_000
        : base.maxShare,
    minEntries: min !== null && Number.isInteger(min) && min >= 1 ? min : base.minEntries,
  };
}
