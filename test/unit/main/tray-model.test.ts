// The tray's decisions: status per engine state, tooltip text, menu items (the Start at login check item too),
// the pause flag and label escaping; a tripped delete guard as an error with its own tooltip and menu line.
import { describe, expect, it } from 'vitest';
import {
  escapeMenuLabel,
  failingItems,
  nextPausedFlag,
  sameTrayModel,
  trayIconFile,
  trayMenu,
  trayModel,
  trayStatus,
  trayTooltip,
  type TrayMenuItem,
} from '../../../electron/main/tray-model.js';
import type { DeleteGuardState } from '../../../electron/shared/state.js';
import { pair, state, syncError, target } from './state-builders.js';

const labels = (menu: TrayMenuItem[]): string[] =>
  menu.map((item) => (item.kind === 'separator' ? '---' : item.label));
const action = (menu: TrayMenuItem[], name: string) =>
  menu.find((item) => item.kind === 'action' && item.action === name);

describe('trayStatus', () => {
  it('is synced when every target is idle', () => {
    expect(trayStatus({ state: state(pair(), pair({ id: 'docs', name: 'Docs' })) })).toBe('synced');
  });

  it('is synced with no pairs at all', () => {
    expect(trayStatus({ state: state() })).toBe('synced');
  });

  it('is syncing when a target is syncing or starting', () => {
    const busy = pair({ status: 'syncing', targets: [target({ status: 'syncing', queued: 4 })] });
    expect(trayStatus({ state: state(pair({ id: 'a' }), busy) })).toBe('syncing');
    const starting = pair({ status: 'starting', targets: [target({ status: 'starting' })] });
    expect(trayStatus({ state: state(starting) })).toBe('syncing');
  });

  it('is paused only when every pair is paused', () => {
    const paused = pair({ status: 'paused', targets: [target({ status: 'paused' })] });
    expect(trayStatus({ state: state(paused, pair({ id: 'b', status: 'paused' })) })).toBe('paused');
    expect(trayStatus({ state: state(paused, pair({ id: 'b' })) })).toBe('synced');
  });

  it('is paused when the tray paused everything, unless something syncs', () => {
    expect(trayStatus({ state: state(pair()), paused: true })).toBe('paused');
    const busy = pair({ status: 'syncing', targets: [target({ status: 'syncing' })] });
    expect(trayStatus({ state: state(busy), paused: true })).toBe('syncing');
  });

  it('error wins over syncing and paused', () => {
    const failing = pair({ status: 'error', targets: [target({ status: 'error', error: syncError() })] });
    const busy = pair({ id: 'b', status: 'syncing', targets: [target({ status: 'syncing' })] });
    expect(trayStatus({ state: state(busy, failing) })).toBe('error');
    expect(trayStatus({ state: state(failing), paused: true })).toBe('error');
  });

  it('counts a config-stopped target and a failed folder as errors, but not a transient watcher hiccup', () => {
    const stopped = pair({
      status: 'error',
      targets: [target({ status: 'stopped', error: syncError({ class: 'config' }) })],
    });
    expect(trayStatus({ state: state(stopped) })).toBe('error');
    const folderGone = pair({
      status: 'error',
      watcher: {
        backend: 'inotify',
        directories: 0,
        ready: false,
        error: syncError({ kind: 'source-missing', class: 'config' }),
      },
      targets: [target({ status: 'starting' })],
    });
    expect(trayStatus({ state: state(folderGone) })).toBe('error');
    const hiccup = pair({
      watcher: {
        backend: 'inotify',
        directories: 3,
        ready: true,
        error: syncError({ kind: 'watcher', class: 'transient' }),
      },
    });
    expect(trayStatus({ state: state(hiccup) })).toBe('synced');
  });
});

describe('trayTooltip', () => {
  it('says up to date with the folder count', () => {
    expect(trayTooltip({ state: state(pair(), pair({ id: 'docs', name: 'Docs' })) })).toBe(
      'Rsync Live — Up to date: 2 folders',
    );
    expect(trayTooltip({ state: state(pair()) })).toBe('Rsync Live — Up to date: 1 folder');
  });

  it('names the failing target', () => {
    const failing = pair({ status: 'error', targets: [target({ status: 'error', error: syncError() })] });
    expect(trayTooltip({ state: state(failing, pair({ id: 'docs', name: 'Docs' })) })).toBe(
      'Rsync Live — 1 target failing: Photos → 10.0.0.5::photos',
    );
  });

  it('lists two failures and counts the rest', () => {
    const targets = ['a::m', 'b::m', 'c::m'].map((url, index) =>
      target({ id: `t${index + 1}`, url, status: 'error', error: syncError() }),
    );
    const text = trayTooltip({ state: state(pair({ status: 'error', targets })) });
    expect(text).toBe('Rsync Live — 3 targets failing: Photos → a::m, Photos → b::m and 1 more');
  });

  it('counts a failed folder separately from failing targets', () => {
    const folderGone = pair({
      id: 'docs',
      name: 'Docs',
      status: 'error',
      watcher: { backend: 'inotify', directories: 0, ready: false, error: syncError({ class: 'config' }) },
    });
    const failing = pair({ status: 'error', targets: [target({ status: 'error', error: syncError() })] });
    expect(trayTooltip({ state: state(failing, folderGone) })).toBe(
      'Rsync Live — 1 folder and 1 target failing: Photos → 10.0.0.5::photos, Docs (folder)',
    );
  });

  it('shows syncing progress, paused and empty states', () => {
    const busy = pair({ status: 'syncing', targets: [target({ status: 'syncing', queued: 12 })] });
    expect(trayTooltip({ state: state(busy, pair({ id: 'b' })) })).toBe(
      'Rsync Live — Syncing 1 folder, 12 changes waiting',
    );
    expect(trayTooltip({ state: state(pair()), paused: true })).toBe('Rsync Live — Paused (1 folder)');
    expect(trayTooltip({ state: state() })).toBe('Rsync Live — No folders set up yet');
    expect(trayTooltip({ state: state(pair(), pair({ id: 'b', status: 'paused' })) })).toBe(
      'Rsync Live — Up to date: 1 folder, 1 paused',
    );
  });
});

describe('trayMenu', () => {
  it('has the actions, one disabled status line per target and Quit', () => {
    const failing = target({ id: 't2', url: 'backup::photos', status: 'error', error: syncError() });
    const menu = trayMenu({ state: state(pair({ status: 'error', targets: [target(), failing] })) });
    expect(labels(menu)).toEqual([
      'Open Rsync Live',
      'Sync now',
      'Pause all',
      '---',
      'Photos → 10.0.0.5::photos: up to date',
      'Photos → backup::photos: error',
      '---',
      'Quit Rsync Live',
    ]);
    const statusLines = menu.filter((item) => item.kind === 'status');
    expect(statusLines.every((item) => item.pairId === 'photos')).toBe(true);
  });

  it('offers Resume all when everything is paused, and disables pair actions without pairs', () => {
    const paused = pair({ status: 'paused', targets: [target({ status: 'paused' })] });
    const menu = trayMenu({ state: state(paused) });
    expect(action(menu, 'resume-all')).toMatchObject({ label: 'Resume all', enabled: true });
    expect(action(menu, 'pause-all')).toBeUndefined();
    expect(labels(menu)).toContain('Photos → 10.0.0.5::photos: paused');

    const empty = trayMenu({ state: state() });
    expect(action(empty, 'sync-now')).toMatchObject({ enabled: false });
    expect(action(empty, 'pause-all')).toMatchObject({ enabled: false });
    expect(labels(empty)).toContain('No folders set up yet');
    expect(action(empty, 'open')).toMatchObject({ enabled: true });
    expect(action(empty, 'quit')).toMatchObject({ enabled: true });
  });

  it('shows one error line for a pair whose folder failed, and waiting counts while syncing', () => {
    const folderGone = pair({
      status: 'error',
      watcher: { backend: 'inotify', directories: 0, ready: false, error: syncError({ class: 'config' }) },
      targets: [target({ status: 'starting' }), target({ id: 't2', url: 'x::y', status: 'starting' })],
    });
    const busy = pair({
      id: 'docs',
      name: 'Docs',
      status: 'syncing',
      targets: [target({ status: 'syncing', queued: 3 })],
    });
    const menu = labels(trayMenu({ state: state(folderGone, busy) }));
    expect(menu.filter((label) => label.startsWith('Photos'))).toEqual(['Photos: error']);
    expect(menu).toContain('Docs → 10.0.0.5::photos: syncing (3 waiting)');
  });

  it('offers a "Start at login" check item before Quit where autostart is supported, checked as on disk', () => {
    const on = trayMenu({ state: state(pair()), autostart: true });
    expect(labels(on).slice(-3)).toEqual(['---', 'Start at login', 'Quit Rsync Live']);
    const item = on.find((entry) => entry.kind === 'checkbox');
    expect(item).toEqual({
      kind: 'checkbox',
      action: 'toggle-autostart',
      label: 'Start at login',
      checked: true,
    });
    const off = trayMenu({ state: state(), autostart: false });
    expect(off.find((entry) => entry.kind === 'checkbox')).toMatchObject({ checked: false });
    expect(
      sameTrayModel(
        trayModel({ state: state(), autostart: true }),
        trayModel({ state: state(), autostart: false }),
      ),
    ).toBe(false);
  });

  it('leaves "Start at login" out where it is not offered (null or not given)', () => {
    for (const autostart of [null, undefined]) {
      const menu = trayMenu({ state: state(pair()), autostart });
      expect(menu.some((entry) => entry.kind === 'checkbox')).toBe(false);
      expect(labels(menu)).not.toContain('Start at login');
    }
  });

  it('truncates very long lines', () => {
    const long = pair({ name: 'N'.repeat(120) });
    const line = labels(trayMenu({ state: state(long) })).find((label) => label.startsWith('NNN')) ?? '';
    expect(line.length).toBe(80);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('helpers', () => {
  it('trayModel bundles status, tooltip and menu consistently', () => {
    const model = trayModel({
      state: state(pair({ status: 'error', targets: [target({ status: 'error' })] })),
    });
    expect(model.status).toBe('error');
    expect(model.tooltip).toContain('1 target failing');
    expect(
      sameTrayModel(
        model,
        trayModel({ state: state(pair({ status: 'error', targets: [target({ status: 'error' })] })) }),
      ),
    ).toBe(true);
    expect(sameTrayModel(model, trayModel({ state: state(pair()) }))).toBe(false);
    expect(sameTrayModel(null, model)).toBe(false);
  });

  it('failingItems names pairs and targets', () => {
    const items = failingItems(state(pair({ targets: [target({ status: 'stopped' })] })));
    expect(items).toEqual([
      { kind: 'target', pairId: 'photos', targetId: 't1', label: 'Photos → 10.0.0.5::photos' },
    ]);
  });

  it('the pause flag ends when a healthy pair runs again', () => {
    const paused = pair({ status: 'paused' });
    expect(nextPausedFlag(true, state(paused, pair({ id: 'b', status: 'error' })))).toBe(true);
    expect(nextPausedFlag(true, state(paused, pair({ id: 'b', status: 'idle' })))).toBe(false);
    expect(nextPausedFlag(false, state(paused))).toBe(false);
  });

  it('escapes & for Electron menus and names icon files by status and size', () => {
    expect(escapeMenuLabel('Tom & Jerry → a::b')).toBe('Tom && Jerry → a::b');
    expect(trayIconFile('error')).toBe('tray/error-24.png');
    expect(trayIconFile('paused', 16)).toBe('tray/paused-16.png');
  });
});

describe('a tripped delete guard', () => {
  const guard = (held = 3): DeleteGuardState => ({
    reason: 'folder-unmounted',
    message: 'deletions paused: the folder /home/me/Photos is empty but its backup is not; …',
    since: '2025-01-01T00:00:00.000Z',
    held,
    paths: [],
    pathsTotal: 0,
  });
  // The engine's state for a tripped pair: status error, targets idle (their other changes still sync).
  const guarded = (overrides: Parameters<typeof pair>[0] = {}) =>
    pair({ status: 'error', deleteGuard: guard(), ...overrides });

  it('makes the tray status error, even while other pairs sync or everything is paused', () => {
    expect(trayStatus({ state: state(guarded()) })).toBe('error');
    const busy = pair({ id: 'b', status: 'syncing', targets: [target({ status: 'syncing' })] });
    expect(trayStatus({ state: state(busy, guarded()) })).toBe('error');
    expect(trayStatus({ state: state(guarded()), paused: true })).toBe('error');
  });

  it('is a failing item of its own, next to a failed folder or failing target of the same pair', () => {
    expect(failingItems(state(guarded()))).toEqual([
      { kind: 'delete-guard', pairId: 'photos', targetId: null, label: 'Photos' },
    ]);
    const gone = guarded({
      watcher: {
        backend: 'inotify',
        directories: 0,
        ready: false,
        error: syncError({ kind: 'source-missing', class: 'config' }),
      },
    });
    expect(failingItems(state(gone)).map((item) => item.kind)).toEqual(['delete-guard', 'folder']);
    const targetDown = guarded({ targets: [target({ status: 'error', error: syncError() })] });
    expect(failingItems(state(targetDown)).map((item) => item.kind)).toEqual(['delete-guard', 'target']);
  });

  it('the tooltip says deletions are paused for that pair, before other failures', () => {
    expect(trayTooltip({ state: state(guarded(), pair({ id: 'docs', name: 'Docs' })) })).toBe(
      'Rsync Live — deletions paused for Photos (confirm them in the window)',
    );
    const failing = pair({
      id: 'docs',
      name: 'Docs',
      status: 'error',
      targets: [target({ url: 'nas::docs', status: 'error', error: syncError() })],
    });
    expect(trayTooltip({ state: state(failing, guarded()) })).toBe(
      'Rsync Live — deletions paused for Photos (confirm them in the window); 1 target failing: Docs → nas::docs',
    );
    const three = ['a', 'b', 'c'].map((id) => guarded({ id, name: id.toUpperCase() }));
    expect(trayTooltip({ state: state(...three) })).toBe(
      'Rsync Live — deletions paused for A, B and 1 more (confirm them in the window)',
    );
  });

  it('the menu has a line for the pair with the held count, and its targets say deletions are held', () => {
    const menu = trayMenu({
      state: state(guarded({ targets: [target(), target({ id: 't2', url: 'x::y', status: 'error' })] })),
    });
    const statusLines = menu.filter((item) => item.kind === 'status');
    expect(statusLines.map((item) => item.label)).toEqual([
      'Photos: deletions paused (3 held), confirm them in the window',
      'Photos → 10.0.0.5::photos: deletions held',
      'Photos → x::y: error',
    ]);
    expect(statusLines.every((item) => item.pairId === 'photos')).toBe(true);
    const fullSync = labels(trayMenu({ state: state(guarded({ deleteGuard: guard(0) })) }));
    expect(fullSync).toContain('Photos: deletions paused, confirm them in the window');
  });

  it('a guarded pair whose folder is gone shows the guard line and one error line', () => {
    const gone = guarded({
      watcher: { backend: 'inotify', directories: 0, ready: false, error: syncError({ class: 'config' }) },
    });
    const menu = labels(trayMenu({ state: state(gone) }));
    expect(menu.filter((label) => label.startsWith('Photos'))).toEqual([
      'Photos: deletions paused (3 held), confirm them in the window',
      'Photos: error',
    ]);
  });

  it('a confirmed guard (deleteGuard null again) leaves the error state', () => {
    expect(trayModel({ state: state(pair()) }).status).toBe('synced');
    expect(trayModel({ state: state(guarded()) }).status).toBe('error');
  });
});
