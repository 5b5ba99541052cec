// The delete guard in the window: the words for what it holds, a tripped guard as a Failures entry, and the
// pair form's guard fields (percent ↔ fraction, validation, stored values kept for fields left invalid).
import { describe, expect, it } from 'vitest';
import { pairSchema } from '../../electron/shared/config.js';
import {
  confirmText,
  DEFAULT_GUARD,
  guardDraft,
  guardError,
  guardInput,
  guardProblem,
  guardReasonText,
  heldText,
} from '../../renderer/src/lib/delete-guard.js';

describe('delete guard texts', () => {
  it('counts held deletions, and says what confirming does', () => {
    expect(heldText(3)).toBe('3 deletions held');
    expect(heldText(1)).toBe('1 deletion held');
    expect(heldText(0)).toBe('deletions held (found by a full sync)');
    expect(confirmText(3)).toBe(
      '3 deletions will be applied to every target of this pair; the backup will then mirror the folder as it is now.',
    );
    expect(confirmText(1)).toMatch(/^1 deletion will be applied/);
    expect(confirmText(0)).toMatch(/^The deletions the full sync found will be applied to every target/);
  });

  it('names each reason', () => {
    expect(guardReasonText({ reason: 'folder-missing' })).toBe('the folder is gone');
    expect(guardReasonText({ reason: 'folder-replaced' })).toBe('the folder was replaced');
    expect(guardReasonText({ reason: 'folder-unmounted' })).toBe("the folder's disk was unmounted");
    expect(guardReasonText({ reason: 'mass-delete' })).toBe('most of the folder would be deleted');
  });

  it('turns a tripped guard into a failure that waits for the user', () => {
    const since = '2026-11-26T08:00:00.000Z';
    expect(
      guardError({
        reason: 'mass-delete',
        message: 'deletions paused: …',
        since,
        held: 3,
        paths: ['a'],
        pathsTotal: 1,
      }),
    ).toEqual({
      kind: 'delete-guard',
      class: 'config',
      message: 'deletions paused: …',
      exitCode: null,
      since,
      at: since,
      attempts: 1,
      nextRetryAt: null,
    });
  });
});

describe('delete guard form fields', () => {
  it('shows the defaults (50 %, 1000) for a new pair and the stored values for an existing one', () => {
    expect(DEFAULT_GUARD).toEqual(pairSchema.shape.deleteGuard.parse(undefined));
    expect(guardDraft(undefined)).toEqual({ enabled: true, sharePercent: 50, minEntries: 1000 });
    expect(guardDraft({ enabled: false, maxShare: 0.125, minEntries: 20 })).toEqual({
      enabled: false,
      sharePercent: 12.5,
      minEntries: 20,
    });
    expect(guardDraft({ enabled: true, maxShare: 0.07, minEntries: 5 }).sharePercent).toBe(7);
  });

  it('saves the share as a fraction the schema accepts', () => {
    const saved = guardInput({ enabled: true, sharePercent: 30, minEntries: 200 }, undefined);
    expect(saved).toEqual({ enabled: true, maxShare: 0.3, minEntries: 200 });
    expect(pairSchema.shape.deleteGuard.parse(saved)).toEqual(saved);
    expect(guardInput(guardDraft(DEFAULT_GUARD), DEFAULT_GUARD)).toEqual(DEFAULT_GUARD);
    expect(guardInput({ enabled: true, sharePercent: 12.5, minEntries: 1 }, undefined).maxShare).toBe(0.125);
  });

  it('refuses a share outside 1–100 %, or a minimum that is not a whole number ≥ 1, while the guard is on', () => {
    const ok = { enabled: true, sharePercent: 50, minEntries: 1000 };
    expect(guardProblem(ok)).toBeNull();
    expect(guardProblem({ ...ok, sharePercent: 100 })).toBeNull();
    expect(guardProblem({ ...ok, sharePercent: 1, minEntries: 1 })).toBeNull();
    for (const sharePercent of [null, 0, 0.5, 101, Number.NaN]) {
      expect(guardProblem({ ...ok, sharePercent }), String(sharePercent)).toMatch(
        /^delete guard: the share of the folder must be a percentage from 1 to 100$/,
      );
    }
    for (const minEntries of [null, 0, -3, 2.5]) {
      expect(guardProblem({ ...ok, minEntries }), String(minEntries)).toMatch(
        /^delete guard: the minimum number of entries must be a whole number of at least 1$/,
      );
    }
    expect(guardProblem({ enabled: false, sharePercent: null, minEntries: 0 })).toBeNull();
  });

  it('switched off with fields left empty or invalid: keeps the stored numbers', () => {
    const stored = { enabled: true, maxShare: 0.4, minEntries: 300 };
    expect(guardInput({ enabled: false, sharePercent: null, minEntries: 0 }, stored)).toEqual({
      enabled: false,
      maxShare: 0.4,
      minEntries: 300,
    });
    expect(guardInput({ enabled: false, sharePercent: 250, minEntries: null }, undefined)).toEqual({
      enabled: false,
      maxShare: 0.5,
      minEntries: 1000,
    });
  });
});
