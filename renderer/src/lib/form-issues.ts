// Where each problem of a refused pair goes in the form: the app answers field issues by path ("folder",
// "targets.0.url", "deleteGuard.maxShare", "fullSync.schedule"); each form field shows the issues of its
// paths, and only what no field shows goes to the box by the buttons. Pure.
import type { FieldIssue } from '../../../electron/shared/api.ts';
import { guardIssues, type GuardDraft } from './delete-guard.js';

/** The fields of the pair form and the issue paths each one shows (a path or any path under it). */
export const FORM_FIELDS = {
  folder: ['folder'],
  name: ['name'],
  targets: ['targets'],
  regex: ['excludes.regex'],
  glob: ['excludes.glob', 'excludes'],
  delay: ['delayMs', 'maxDelayMs'],
  bwlimit: ['rsync.bwlimitKiB'],
  schedule: ['fullSync'],
  guardShare: ['deleteGuard.maxShare'],
  guardMin: ['deleteGuard.minEntries', 'deleteGuard'],
} as const;
export type FormField = keyof typeof FORM_FIELDS;

function under(field: string, path: string): boolean {
  return field === path || field.startsWith(`${path}.`);
}

/** The field that shows an issue: the first whose paths match (so "deleteGuard.maxShare" is not "guardMin"). */
export function fieldOf(issue: FieldIssue): FormField | null {
  const fields = Object.keys(FORM_FIELDS) as FormField[];
  return fields.find((name) => FORM_FIELDS[name].some((path) => under(issue.field, path))) ?? null;
}

/** The messages for one field, one per line; null when it has none. */
export function issueAt(issues: FieldIssue[], field: FormField): string | null {
  const messages = issues.filter((issue) => fieldOf(issue) === field).map((issue) => issue.message);
  return messages.length > 0 ? messages.join('\n') : null;
}

/** Issues no field of the form shows (e.g. pair-wide rsync options): they go by the buttons. */
export function unplaced(issues: FieldIssue[]): FieldIssue[] {
  return issues.filter((issue) => fieldOf(issue) === null);
}

/** What the browser checks before asking the app: the folder is a full path, the guard's numbers in range. */
export function localIssues(draft: { folder: string; deletion: string; guard: GuardDraft }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const folder = draft.folder.trim();
  if (!folder.startsWith('/') && !folder.startsWith('~'))
    issues.push({ field: 'folder', message: 'give the full path, starting with "/" (or "~" for your home)' });
  if (draft.deletion !== 'keep') issues.push(...guardIssues(draft.guard));
  return issues;
}
