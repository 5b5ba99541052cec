// Small EngineState builders for the tray and notification tests.
import type { EngineState, PairState, SyncError, TargetState } from '../../../electron/shared/state.js';

export function syncError(overrides: Partial<SyncError> = {}): SyncError {
  return {
    kind: 'connection-refused',
    class: 'transient',
    message: 'connection refused by 10.0.0.5:873: is the rsync daemon running?',
    exitCode: 10,
    since: '2025-01-01T00:00:00.000Z',
    at: '2025-01-01T00:00:00.000Z',
    attempts: 1,
    nextRetryAt: null,
    ...overrides,
  };
}

export function target(overrides: Partial<TargetState> = {}): TargetState {
  return {
    id: 't1',
    url: '10.0.0.5::photos',
    kind: 'daemon',
    status: 'idle',
    queued: 0,
    inFlight: 0,
    runs: 0,
    fullSyncRunning: false,
    lastSuccessAt: null,
    lastFullSyncAt: null,
    error: null,
    today: { date: '2025-01-01', files: 0, bytes: 0 },
    current: null,
    existing: null,
    keepsExisting: false,
    ...overrides,
  };
}

export function pair(overrides: Partial<PairState> = {}): PairState {
  return {
    id: 'photos',
    name: 'Photos',
    folder: '/home/me/Photos',
    status: 'idle',
    deletion: 'mirror',
    watcher: { backend: 'inotify', directories: 3, ready: true, error: null },
    deleteGuard: null,
    targets: [target()],
    ...overrides,
  };
}

export function state(...pairs: PairState[]): EngineState {
  return { version: 1, pairs };
}
