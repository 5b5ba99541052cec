// Activity entries: every run of a job and every restore is its own entry (the service numbers them), and a
// restore's entry says what it wrote and why it failed.
import { describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../electron/shared/state.js';
import { restoreActivity } from '../../electron/service/restore-service.js';
import { mergeActivity } from '../../renderer/src/lib/activity.js';

const batch = (over: Partial<BatchSummary>): BatchSummary => ({
  pairId: 'p',
  targetId: 't1',
  runId: 5,
  kind: 'paths',
  paths: 1,
  files: 1,
  deleted: 0,
  deletedPaths: [],
  vanished: 0,
  bytes: 1,
  ms: 3,
  exitCode: 0,
  ok: true,
  error: null,
  at: '2026-12-04T21:00:00.000Z',
  ...over,
});

describe('mergeActivity', () => {
  it('keeps each run of one job (a swap: a path run, two tree runs and the move, one runId)', () => {
    const runs = [
      batch({ seq: 1, kind: 'paths' }),
      batch({ seq: 2, kind: 'tree' }),
      batch({ seq: 3, kind: 'tree' }),
      batch({ seq: 4, kind: 'move' }),
    ];
    let shown: BatchSummary[] = [];
    for (const run of runs) shown = mergeActivity([run], shown);
    expect(shown).toHaveLength(4);
  });

  it('an entry loaded and pushed both is shown once', () => {
    const one = batch({ seq: 7 });
    expect(mergeActivity([one], [one, batch({ seq: 8 })])).toHaveLength(2);
  });
});

describe('restoreActivity', () => {
  const run = { pairId: 'p', targetId: 't1', paths: 3, startedAt: 1_000, bytes: 4096 };
  const view = { restored: 2, unchanged: 0, skippedNewer: [], failed: [], destination: '/home/u/data' };

  it('a restore that wrote everything', () => {
    expect(restoreActivity(run, view, null, 1_250)).toMatchObject({
      kind: 'restore',
      paths: 3,
      files: 2,
      bytes: 4096,
      ms: 250,
      ok: true,
      error: null,
    });
  });

  it('a restore that failed for some paths names the first and how many', () => {
    const failed = [
      { path: 'a', name: 'a', message: 'no such path on the backup' },
      { path: 'b', name: 'b', message: 'permission denied' },
    ];
    const entry = restoreActivity(run, { ...view, failed }, null, 1_250);
    expect(entry.ok).toBe(false);
    expect(entry.error?.message).toBe(
      '2 of the paths could not be restored, first: a: no such path on the backup',
    );
  });

  it('a restore that could not run says why', () => {
    const entry = restoreActivity(run, null, 'auth failed for user backup on 127.0.0.1::data', 1_250);
    expect(entry).toMatchObject({
      ok: false,
      files: 0,
      error: { message: expect.stringMatching(/^auth failed/) },
    });
  });
});
