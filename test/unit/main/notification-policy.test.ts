// When the desktop app notifies: once per incident per target, never per retry, a quiet notice on recovery,
// again after a new incident, one summary for a burst, nothing when notifications are off.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_MS,
  NotificationPolicy,
  type NotificationDecision,
} from '../../../electron/main/notification-policy.js';
import type { ApiEvents } from '../../../electron/shared/api.js';
import { FakeClock } from '../../helpers/fake-clock.js';
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
