// When the desktop app notifies: once per incident per target, never per retry, a quiet notice on recovery,
// again after a new incident, one summary for a burst, nothing when notifications are off. A tripped delete
// guard notifies once per trip, on its own, and silences the folder failure that comes with it.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_MS,
  NotificationPolicy,
  type NotificationDecision,
} from '../../../electron/main/notification-policy.js';
import type { ApiEvents } from '../../../electron/shared/api.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import type { DeleteGuardState } from '../../../electron/shared/state.js';
import { pair, state, syncError, target } from './state-builders.js';

const failure = (
  pairId: string,
  targetId: string | null,
  message = 'connection refused',
): ApiEvents['failure'] => ({
  pairId,
  targetId,
  error: syncError({ message }),
});

describe('NotificationPolicy', () => {
  let clock: FakeClock;
  let shown: NotificationDecision[];
  let policy: NotificationPolicy;

  beforeEach(() => {
    clock = new FakeClock();
    shown = [];
    policy = new NotificationPolicy({ clock, show: (decision) => shown.push(decision) });
    policy.updateState(
      state(
        pair({
          status: 'error',
          targets: [
            target({ error: syncError() }),
            target({ id: 't2', url: 'backup::photos', error: syncError() }),
            target({ id: 't3', url: 'nas::photos', error: syncError() }),
          ],
        }),
        pair({ id: 'docs', name: 'Docs', targets: [target({ url: 'nas::docs', error: syncError() })] }),
      ),
    );
  });

  it('announces a first failure once the gathering window closes, naming pair, target and cause', () => {
    policy.failure(failure('photos', 't1', 'auth failed for user "me"'));
    clock.advance(DEFAULT_WINDOW_MS - 1);
    expect(shown).toEqual([]);
    clock.advance(1);
    expect(shown).toEqual([
      {
        kind: 'failure',
        title: 'Sync failing: Photos',
        body: 'Photos → 10.0.0.5::photos: auth failed for user "me"',
        pairId: 'photos',
        targetId: 't1',
        quiet: false,
      },
    ]);
  });

  it('stays silent on retries of the same incident', () => {
    policy.failure(failure('photos', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    for (let attempt = 0; attempt < 5; attempt++) {
      policy.failure(failure('photos', 't1', `attempt ${attempt}`));
      clock.advance(30_000);
    }
    expect(shown).toHaveLength(1);
  });

  it('notifies quietly when a target that had notified recovers, and again when it fails anew', () => {
    policy.failure(failure('photos', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    policy.recovered({ pairId: 'photos', targetId: 't1' });
    expect(shown[1]).toEqual({
      kind: 'recovered',
      title: 'Back in sync: Photos',
      body: 'Photos → 10.0.0.5::photos',
      pairId: 'photos',
      targetId: 't1',
      quiet: true,
    });
    policy.failure(failure('photos', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown.map((decision) => decision.kind)).toEqual(['failure', 'recovered', 'failure']);
  });

  it('never notifies a failure that recovers within the window, nor its recovery', () => {
    policy.failure(failure('photos', 't1'));
    clock.advance(1_000);
    policy.recovered({ pairId: 'photos', targetId: 't1' });
    clock.advance(DEFAULT_WINDOW_MS * 2);
    expect(shown).toEqual([]);
    expect(policy.activeIncidents).toBe(0);
  });

  it('ignores a recovery without a known incident', () => {
    policy.recovered({ pairId: 'photos', targetId: 't2' });
    expect(shown).toEqual([]);
  });

  it('turns three targets failing within the window into one summary', () => {
    policy.failure(failure('photos', 't1'));
    clock.advance(2_000);
    policy.failure(failure('photos', 't2'));
    clock.advance(2_000);
    policy.failure(failure('docs', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([
      {
        kind: 'summary',
        title: '3 targets failing',
        body: 'Photos → 10.0.0.5::photos, Photos → backup::photos, Docs → nas::docs',
        pairId: 'photos',
        targetId: 't1',
        quiet: false,
      },
    ]);
    // Each of them recovering later is still reported (they were announced, in the summary).
    policy.recovered({ pairId: 'docs', targetId: 't1' });
    expect(shown[1]).toMatchObject({ kind: 'recovered', pairId: 'docs', quiet: true });
  });

  it('lists the first three in a larger summary and counts the rest', () => {
    policy.failure(failure('photos', 't1'));
    policy.failure(failure('photos', 't2'));
    policy.failure(failure('photos', 't3'));
    policy.failure(failure('docs', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.title).toBe('4 targets failing');
    expect(shown[0]?.body.endsWith(' and 1 more')).toBe(true);
  });

  it('announces two failures in one window one by one, and a failure after the window separately', () => {
    policy.failure(failure('photos', 't1'));
    policy.failure(failure('photos', 't2'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown.map((decision) => [decision.kind, decision.targetId])).toEqual([
      ['failure', 't1'],
      ['failure', 't2'],
    ]);
    policy.failure(failure('docs', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(3);
    expect(shown[2]).toMatchObject({ kind: 'failure', pairId: 'docs' });
  });

  it('shows nothing while notifications are off, and does not replay or announce recoveries after', () => {
    policy.setEnabled(false);
    policy.failure(failure('photos', 't1'));
    policy.failure(failure('photos', 't2'));
    policy.failure(failure('docs', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    policy.setEnabled(true);
    policy.failure(failure('photos', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    policy.recovered({ pairId: 'photos', targetId: 't1' });
    expect(shown).toEqual([]);
  });

  it('respects notifications=false from the start', () => {
    const quiet: NotificationDecision[] = [];
    const off = new NotificationPolicy({ clock, enabled: false, show: (decision) => quiet.push(decision) });
    off.failure(failure('photos', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(quiet).toEqual([]);
    expect(off.enabled).toBe(false);
  });

  it('reports a folder failure (no target) with the pair and its message', () => {
    policy.failure(failure('docs', null, 'folder /home/me/Docs does not exist'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([
      {
        kind: 'failure',
        title: 'Sync failing: Docs',
        body: 'folder /home/me/Docs does not exist',
        pairId: 'docs',
        targetId: null,
        quiet: false,
      },
    ]);
  });

  it('forgets incidents the state no longer shows, silently, so a new failure notifies again', () => {
    policy.failure(failure('docs', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(1);
    // The pair was edited and restarted: its target has no error any more.
    policy.updateState(state(pair({ id: 'docs', name: 'Docs', targets: [target({ url: 'nas::docs' })] })));
    expect(policy.activeIncidents).toBe(0);
    expect(shown).toHaveLength(1);
    policy.failure(failure('docs', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(2);
  });

  it('keeps incidents whose error the state still shows', () => {
    policy.failure(failure('photos', 't1'));
    policy.updateState(state(pair({ targets: [target({ status: 'error', error: syncError() })] })));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(1);
    policy.failure(failure('photos', 't1'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(1);
  });

  it('falls back to ids when no state named the pair yet', () => {
    const early: NotificationDecision[] = [];
    const fresh = new NotificationPolicy({ clock, show: (decision) => early.push(decision) });
    fresh.failure(failure('music', 't1', 'timeout'));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(early[0]).toMatchObject({
      title: 'Sync failing: music',
      body: 'music → t1: timeout',
      pairId: 'music',
    });
  });

  it('dispose cancels a pending announcement', () => {
    policy.failure(failure('photos', 't1'));
    policy.dispose();
    expect(clock.pending).toBe(0);
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([]);
  });
});

describe('NotificationPolicy and the delete guard', () => {
  const GUARD_MESSAGE =
    'deletions paused: the folder /home/me/Photos is empty but its backup is not; nothing is deleted on the targets until you confirm: check the disk';
  const tripped = (pairId: string): ApiEvents['failure'] => ({
    pairId,
    targetId: null,
    error: syncError({ kind: 'delete-guard', class: 'config', message: GUARD_MESSAGE, exitCode: null }),
  });
  const guard: DeleteGuardState = {
    reason: 'folder-unmounted',
    message: GUARD_MESSAGE,
    since: '2025-01-01T00:00:00.000Z',
    held: 3,
    paths: [],
    pathsTotal: 0,
  };
  const names = ['photos', 'docs', 'music', 'video'];
  // Every pair of `names`: its guard tripped when in `guarded`, its folder gone when in `gone`, its target
  // failing when in `failing`.
  const guardState = (guarded: string[], gone: string[] = [], failing: string[] = []) =>
    state(
      ...names.map((id) =>
        pair({
          id,
          name: id[0]?.toUpperCase() + id.slice(1),
          status: guarded.includes(id) || gone.includes(id) ? 'error' : 'idle',
          deleteGuard: guarded.includes(id) ? guard : null,
          watcher: {
            backend: 'inotify',
            directories: 1,
            ready: true,
            error: gone.includes(id) ? syncError({ kind: 'source-missing', class: 'config' }) : null,
          },
          targets: [target({ error: failing.includes(id) ? syncError() : null })],
        }),
      ),
    );

  let clock: FakeClock;
  let shown: NotificationDecision[];
  let policy: NotificationPolicy;

  beforeEach(() => {
    clock = new FakeClock();
    shown = [];
    policy = new NotificationPolicy({ clock, show: (decision) => shown.push(decision) });
    policy.updateState(guardState([]));
  });

  it('notifies a trip once with its message, stays silent while it holds, and quietly on confirm', () => {
    policy.failure(tripped('photos'));
    policy.updateState(guardState(['photos']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([
      {
        kind: 'failure',
        title: 'Deletions paused: Photos',
        body: GUARD_MESSAGE,
        pairId: 'photos',
        targetId: null,
        quiet: false,
      },
    ]);
    // State snapshots while the guard holds (more deletions held) keep the incident without notifying.
    for (let i = 0; i < 5; i++) {
      policy.updateState(guardState(['photos']));
      clock.advance(10_000);
    }
    expect(shown).toHaveLength(1);
    expect(policy.activeIncidents).toBe(1);

    policy.recovered({ pairId: 'photos', targetId: null });
    expect(shown[1]).toEqual({
      kind: 'recovered',
      title: 'Deletions confirmed: Photos',
      body: 'The held deletions are being applied to every target.',
      pairId: 'photos',
      targetId: null,
      quiet: true,
    });
    expect(policy.activeIncidents).toBe(0);

    // A new trip is a new incident: it notifies again.
    policy.failure(tripped('photos'));
    policy.updateState(guardState(['photos']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown.map((decision) => decision.title)).toEqual([
      'Deletions paused: Photos',
      'Deletions confirmed: Photos',
      'Deletions paused: Photos',
    ]);
  });

  it('is not dropped by a state snapshot, which shows the guard and no watcher error', () => {
    policy.failure(tripped('photos'));
    policy.updateState(guardState(['photos']));
    policy.updateState(guardState(['photos']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(1);
  });

  it('a folder that disappears: one "Deletions paused", not also "Sync failing" for the folder', () => {
    policy.failure(failure('photos', null, 'folder /home/me/Photos does not exist'));
    policy.failure({
      ...tripped('photos'),
      error: { ...tripped('photos').error, message: 'deletions paused: the folder /home/me/Photos is gone' },
    });
    policy.updateState(guardState(['photos'], ['photos']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([
      expect.objectContaining({
        title: 'Deletions paused: Photos',
        body: 'deletions paused: the folder /home/me/Photos is gone',
      }),
    ]);
    expect(policy.activeIncidents).toBe(2);
    // Confirming restarts the pair on the folder as it is now: the guard notice, then the folder error clears
    // silently (it was never shown).
    policy.recovered({ pairId: 'photos', targetId: null });
    policy.updateState(guardState([]));
    expect(shown.map((decision) => decision.kind)).toEqual(['failure', 'recovered']);
    expect(policy.activeIncidents).toBe(0);
  });

  it('a trip next to an existing folder failure still notifies (its own incident)', () => {
    policy.failure(failure('docs', null, 'watch limit reached'));
    policy.updateState(guardState([], ['docs']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toHaveLength(1);
    policy.failure(tripped('docs'));
    policy.updateState(guardState(['docs'], ['docs']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown.map((decision) => decision.title)).toEqual(['Sync failing: Docs', 'Deletions paused: Docs']);
  });

  it('a trip within a burst of target failures is announced apart from their summary', () => {
    policy.failure(failure('docs', 't1'));
    policy.failure(failure('music', 't1'));
    policy.failure(failure('video', 't1'));
    policy.failure(tripped('photos'));
    policy.updateState(guardState(['photos'], [], ['docs', 'music', 'video']));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown.map((decision) => [decision.kind, decision.title])).toEqual([
      ['failure', 'Deletions paused: Photos'],
      ['summary', '3 targets failing'],
    ]);
  });

  it('several folders on one unplugged disk: one summary of the trips', () => {
    for (const id of ['photos', 'docs', 'music', 'video']) {
      policy.failure(failure(id, null, 'folder is gone'));
      policy.failure(tripped(id));
    }
    policy.updateState(guardState(names, names));
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([
      {
        kind: 'summary',
        title: 'Deletions paused for 4 folders',
        body: 'Photos, Docs, Music and 1 more: nothing is deleted on the targets until you confirm',
        pairId: 'photos',
        targetId: null,
        quiet: false,
      },
    ]);
  });

  it('a confirm within the window never notifies; a pair-level recovery without a trip is ignored', () => {
    policy.failure(tripped('photos'));
    clock.advance(1_000);
    policy.recovered({ pairId: 'photos', targetId: null });
    clock.advance(DEFAULT_WINDOW_MS);
    expect(shown).toEqual([]);
    policy.recovered({ pairId: 'docs', targetId: null });
    expect(shown).toEqual([]);
  });

  it('shows nothing while notifications are off', () => {
    policy.setEnabled(false);
    policy.failure(tripped('photos'));
    policy.updateState(guardState(['photos']));
    clock.advance(DEFAULT_WINDOW_MS);
    policy.recovered({ pairId: 'photos', targetId: null });
    expect(shown).toEqual([]);
  });
});
