// The tray's decisions, free of Electron: from an EngineState (plus the "everything paused" flag the tray keeps)
// it computes the tray status (which icon), the tooltip and a menu model of plain items. A tripped delete
// guard counts as an error: the tooltip and a menu line say that deletions are paused for that pair. tray.ts
// renders the model with Tray and Menu; unit tests check it under Node. Must not import electron or node:
// modules.
import type { EngineState, PairState, TargetState } from '../shared/state.js';
import {
  APP_NAME,
  folderFailed as pairFailed,
  overallStatus,
  plural,
  targetStatus,
  type StatusTone,
} from '../shared/status.js';

export const TRAY_STATUSES = ['synced', 'syncing', 'paused', 'error'] as const;
export type TrayStatus = (typeof TRAY_STATUSES)[number];

/** Tray icon sizes drawn by build/make-icons.mjs (resources/tray/<status>-<size>.png, 24 also as @2x). */
export const TRAY_ICON_SIZES = [16, 24, 32] as const;
export type TrayIconSize = (typeof TRAY_ICON_SIZES)[number];

export type TrayAction = 'open' | 'sync-now' | 'pause-all' | 'resume-all' | 'toggle-autostart' | 'quit';

export type TrayMenuItem =
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean }
  /** A check item; clicking it asks for the action (the new value comes from the model, not the click). */
  | { kind: 'checkbox'; action: TrayAction; label: string; checked: boolean }
  /** A status line, shown disabled. */
  | { kind: 'status'; label: string; pairId: string | null }
  | { kind: 'separator' };

export interface TrayModel {
  status: TrayStatus;
  tooltip: string;
  menu: TrayMenuItem[];
}

export interface TrayInput {
  state: EngineState;
  /** The user chose "Pause all" (kept by the tray until "Resume all"). */
  paused?: boolean;
  /** Start at login is on (the autostart entry exists); null or omitted: not offered on this system. */
  autostart?: boolean | null;
}

/**
 * Something that needs the user: a failing target, a pair whose folder or watcher failed for good, or a pair
 * whose delete guard tripped (its deletions are held until the user confirms them).
 */
export interface Failing {
  kind: 'target' | 'folder' | 'delete-guard';
  pairId: string;
  targetId: string | null;
  label: string;
}

export { APP_NAME };
const MAX_LABEL = 80;
const TOOLTIP_LIST = 2;

export function trayIconFile(status: TrayStatus, size: TrayIconSize = 24): string {
  return `tray/${status}-${size}.png`;
}

function truncate(text: string, max = MAX_LABEL): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function targetFailing(target: TargetState): boolean {
  return target.status === 'error' || target.status === 'stopped';
}

export function targetLabel(pair: Pick<PairState, 'name'>, target: Pick<TargetState, 'url'>): string {
  return `${pair.name} → ${target.url}`;
}

export function failingItems(state: EngineState): Failing[] {
  const failing: Failing[] = [];
  for (const pair of state.pairs) {
    if (pair.deleteGuard)
      failing.push({ kind: 'delete-guard', pairId: pair.id, targetId: null, label: pair.name });
    if (pairFailed(pair)) {
      failing.push({ kind: 'folder', pairId: pair.id, targetId: null, label: `${pair.name} (folder)` });
      continue;
    }
    for (const target of pair.targets) {
      if (targetFailing(target))
        failing.push({
          kind: 'target',
          pairId: pair.id,
          targetId: target.id,
          label: targetLabel(pair, target),
        });
    }
  }
  return failing;
}

function allPaused(state: EngineState): boolean {
  return state.pairs.length > 0 && state.pairs.every((pair) => pair.status === 'paused');
}

const TRAY_BY_TONE: Record<StatusTone, TrayStatus> = {
  error: 'error',
  attention: 'error',
  busy: 'syncing',
  paused: 'paused',
  ok: 'synced',
};

/** The icon of the shared overall status (`overallStatus`): error and "waits for you" are red. */
export function trayStatus({ state, paused = false }: TrayInput): TrayStatus {
  if (failingItems(state).length > 0) return 'error';
  return TRAY_BY_TONE[overallStatus(state, { paused }).tone];
}

function listed(labels: string[]): string {
  const shown = labels.slice(0, TOOLTIP_LIST);
  const more = labels.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** Tripped delete guards first ("deletions paused for Photos (confirm them in the window)"), then failures. */
function failingSummary(all: Failing[]): string {
  const guards = all.filter((item) => item.kind === 'delete-guard');
  const failing = all.filter((item) => item.kind !== 'delete-guard');
  const parts: string[] = [];
  if (guards.length > 0)
    parts.push(
      `deletions paused for ${listed(guards.map((item) => item.label))} (confirm them in the window)`,
    );
  if (failing.length > 0) {
    const folders = failing.filter((item) => item.kind === 'folder').length;
    const targets = failing.length - folders;
    const counts = [
      folders > 0 ? plural(folders, 'folder') : null,
      targets > 0 ? plural(targets, 'target') : null,
    ]
      .filter((part) => part !== null)
      .join(' and ');
    parts.push(`${counts} failing: ${listed(failing.map((item) => item.label))}`);
  }
  return parts.join('; ');
}

export function trayTooltip(input: TrayInput, status: TrayStatus = trayStatus(input)): string {
  const { state } = input;
  const failing = failingItems(state);
  let text: string;
  if (status === 'error' && failing.length > 0) {
    text = failingSummary(failing);
  } else {
    text = overallStatus(state, { paused: input.paused ?? false }).headline;
    const waiting = state.pairs.reduce(
      (sum, pair) => sum + pair.targets.reduce((inner, target) => inner + target.queued, 0),
      0,
    );
    if (status === 'syncing' && waiting > 0) text += `, ${plural(waiting, 'change')} waiting`;
  }
  return `${APP_NAME} — ${text}`;
}

function targetWord(pair: PairState, target: TargetState): string {
  const status = targetStatus(pair, target);
  return status.key === 'syncing' && target.queued > 0 ? `syncing (${target.queued} waiting)` : status.word;
}

function statusLines(state: EngineState): TrayMenuItem[] {
  if (state.pairs.length === 0) return [{ kind: 'status', label: 'No folders set up yet', pairId: null }];
  const lines: TrayMenuItem[] = [];
  for (const pair of state.pairs) {
    if (pair.deleteGuard) {
      const held = pair.deleteGuard.held;
      lines.push({
        kind: 'status',
        label: truncate(
          `${pair.name}: deletions paused${held > 0 ? ` (${held} held)` : ''}, confirm them in the window`,
        ),
        pairId: pair.id,
      });
    }
    if (pairFailed(pair)) {
      lines.push({ kind: 'status', label: truncate(`${pair.name}: error`), pairId: pair.id });
      continue;
    }
    for (const target of pair.targets) {
      lines.push({
        kind: 'status',
        label: truncate(`${targetLabel(pair, target)}: ${targetWord(pair, target)}`),
        pairId: pair.id,
      });
    }
  }
  return lines;
}

export function trayMenu(input: TrayInput, status: TrayStatus = trayStatus(input)): TrayMenuItem[] {
  const { state } = input;
  const hasPairs = state.pairs.length > 0;
  const showResume = input.paused === true || allPaused(state) || status === 'paused';
  return [
    { kind: 'action', action: 'open', label: `Open ${APP_NAME}`, enabled: true },
    { kind: 'action', action: 'sync-now', label: 'Sync now', enabled: hasPairs },
    showResume
      ? { kind: 'action', action: 'resume-all', label: 'Resume all', enabled: hasPairs }
      : { kind: 'action', action: 'pause-all', label: 'Pause all', enabled: hasPairs },
    { kind: 'separator' },
    ...statusLines(state),
    { kind: 'separator' },
    ...(typeof input.autostart === 'boolean'
      ? [
          {
            kind: 'checkbox',
            action: 'toggle-autostart',
            label: 'Start at login',
            checked: input.autostart,
          } as const,
        ]
      : []),
    { kind: 'action', action: 'quit', label: `Quit ${APP_NAME}`, enabled: true },
  ];
}

export function trayModel(input: TrayInput): TrayModel {
  const status = trayStatus(input);
  return { status, tooltip: trayTooltip(input, status), menu: trayMenu(input, status) };
}

export function sameTrayModel(a: TrayModel | null, b: TrayModel): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** Electron menus on Linux read "&" as a mnemonic marker; "&&" shows one "&". */
export function escapeMenuLabel(label: string): string {
  return label.replaceAll('&', '&&');
}

/**
 * The tray's "Pause all" flag after a new state: it ends as soon as a pair that is not failing runs again
 * (the user resumed it in the window, or a new pair was added), so the icon never claims "paused" while
 * something syncs.
 */
export function nextPausedFlag(paused: boolean, state: EngineState): boolean {
  if (!paused) return false;
  return state.pairs.every((pair) => pair.status === 'paused' || pair.status === 'error');
}
