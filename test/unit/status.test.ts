// The one line of truth (electron/shared/status.ts) as tables: each engine situation and the badge of the
// target, the badge of the pair and the overall status (tray icon, tooltip headline, window title) it gives.
import { describe, expect, it } from 'vitest';
import { trayModel } from '../../electron/main/tray-model.js';
import type {
  DeleteGuardState,
  ExistingDataState,
  LostDataState,
  PairState,
} from '../../electron/shared/state.js';
import { overallStatus, pairStatus, targetStatus } from '../../electron/shared/status.js';
import { pair, state, syncError, target } from './main/state-builders.js';

const guard: DeleteGuardState = {
  reason: 'folder-unmounted',
  message: 'deletions paused: the folder /home/me/Photos is empty but its backup is not',
  since: '2025-01-01T00:00:00.000Z',
  held: 3,
  paths: ['a', 'b', 'c'],
  pathsTotal: 3,
};
const existing: ExistingDataState = { entries: 12, paths: ['old/'], suggestion: 'nas::photos/host-Photos' };
const lost: LostDataState = {
  entries: 3,
  paths: ['a', 'b/'],
  at: '2025-01-01T00:00:00.000Z',
  message: 'nas::photos had lost 3 entries that this pair had put there and not deleted (a, b); …',
};
const folderGone = {
  backend: 'inotify',
  directories: 0,
  ready: false,
  error: syncError({ class: 'config' }),
};
const hiccup = { backend: 'inotify', directories: 3, ready: true, error: syncError({ class: 'transient' }) };

// [situation, pair, target badge, pair badge, overall key, headline, tray icon]
const TABLE: [string, PairState, string, string, string, string, string][] = [
  ['all idle', pair(), 'up to date', 'up to date', 'up-to-date', 'Up to date: 1 folder', 'synced'],
  [
    'starting',
    pair({ status: 'starting', targets: [target({ status: 'starting' })] }),
    'starting',
    'starting',
    'starting',
    'Starting 1 folder',
    'syncing',
  ],
  [
    'sending',
    pair({ status: 'syncing', targets: [target({ status: 'syncing', inFlight: 2 })] }),
    'syncing',
    'syncing',
    'syncing',
    'Syncing 1 folder',
    'syncing',
  ],
  [
    'changes queued but the target still says idle',
    pair({ targets: [target({ queued: 4 })] }),
    'syncing',
    'syncing',
    'syncing',
    'Syncing 1 folder',
    'syncing',
  ],
  [
    'paused pair, targets still idle',
    pair({ status: 'paused' }),
    'paused',
    'paused',
    'paused',
    'Paused (1 folder)',
    'paused',
  ],
  [
    'a failing target',
    pair({ status: 'error', targets: [target({ status: 'error', error: syncError() })] }),
    'error',
    'error',
    'error',
    '1 folder failing',
    'error',
  ],
  [
    'a failing target while the engine still says the pair is idle',
    pair({ targets: [target({ status: 'stopped', error: syncError({ class: 'config' }) })] }),
    'error',
    'error',
    'error',
    '1 folder failing',
    'error',
  ],
  [
    'the folder is gone: no green target under a red pair',
    pair({ status: 'error', watcher: folderGone }),
    'folder error',
    'error',
    'error',
    '1 folder failing',
    'error',
  ],
  [
    'a transient watcher hiccup is not a failure',
    pair({ watcher: hiccup }),
    'up to date',
    'up to date',
    'up-to-date',
    'Up to date: 1 folder',
    'synced',
  ],
  [
    'a tripped delete guard (targets idle)',
    pair({ status: 'error', deleteGuard: guard }),
    'deletions held',
    'deletions held',
    'error',
    'Deletions held for 1 folder',
    'error',
  ],
  [
    'a tripped delete guard wins over paused',
    pair({ status: 'paused', deleteGuard: guard, targets: [target({ status: 'paused' })] }),
    'deletions held',
    'deletions held',
    'error',
    'Deletions held for 1 folder',
    'error',
  ],
  [
    'the first sync waits for the choice about data already there',
    pair({
      status: 'error',
      targets: [
        target({ status: 'idle', existing, error: syncError({ kind: 'target-not-empty', class: 'config' }) }),
      ],
    }),
    'waits for you',
    'waits for you',
    'needs-you',
    '1 folder waiting for your choice',
    'error',
  ],
  [
    'a target that lost data (restored by a full sync) is not green',
    pair({ targets: [target({ lost })] }),
    'lost data restored',
    'lost data restored',
    'lost-data',
    '1 folder: a target lost data (restored)',
    'error',
  ],
  [
    'lost data shows while the pair syncs again',
    pair({ status: 'syncing', targets: [target({ status: 'syncing', inFlight: 1, lost })] }),
    'lost data restored',
    'lost data restored',
    'lost-data',
    '1 folder: a target lost data (restored)',
    'error',
  ],
  [
    'a failing target wins over lost data',
    pair({ status: 'error', targets: [target({ status: 'error', error: syncError(), lost })] }),
    'error',
    'error',
    'error',
    '1 folder failing',
    'error',
  ],
  [
    'the warning cleared (a later full sync found the target whole): up to date',
    pair({ targets: [target({ lost: null })] }),
    'up to date',
    'up to date',
    'up-to-date',
    'Up to date: 1 folder',
    'synced',
  ],
];

describe('one line of truth', () => {
  it.each(TABLE)('%s', (_, p, targetWord, pairWord, overall, headline, icon) => {
    expect(targetStatus(p, p.targets[0]!).word).toBe(targetWord);
    expect(pairStatus(p).word).toBe(pairWord);
    const all = overallStatus(state(p));
    expect(all.key).toBe(overall);
    expect(all.headline).toBe(headline);
    expect(all.title).toBe(`Rsync Live — ${headline}`);
    expect(trayModel({ state: state(p) }).status).toBe(icon);
  });

  it('is "No folders set up yet" without pairs, and counts several folders', () => {
    expect(overallStatus(state()).title).toBe('Rsync Live — No folders set up yet');
    const ok = pair({ id: 'b', name: 'Docs' });
    const failing = pair({ status: 'error', targets: [target({ status: 'error', error: syncError() })] });
    const guarded = pair({ id: 'c', status: 'error', deleteGuard: guard });
    expect(overallStatus(state(ok, failing, guarded)).headline).toBe(
      'Deletions held for 1 folder, 1 folder failing',
    );
    expect(overallStatus(state(ok, pair({ id: 'p', status: 'paused' }))).headline).toBe(
      'Up to date: 1 folder, 1 paused',
    );
  });

  it('a "Pause all" flag shows paused unless something is busy or failing', () => {
    expect(overallStatus(state(pair()), { paused: true }).key).toBe('paused');
    const busy = pair({ status: 'syncing', targets: [target({ status: 'syncing' })] });
    expect(overallStatus(state(busy), { paused: true }).key).toBe('syncing');
  });

  it('a guard text never outlives its guard: confirmed (null again) is up to date', () => {
    const tripped = pair({ status: 'error', deleteGuard: guard });
    expect(pairStatus(tripped).word).toBe('deletions held');
    expect(pairStatus({ ...tripped, status: 'idle', deleteGuard: null }).word).toBe('up to date');
  });
});
