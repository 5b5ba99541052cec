// The one line of truth: every status the user sees (target and pair badges, the tray icon and tooltip, the
// window title) is derived here from the engine state, so a badge never says "idle" under a failing pair and
// a guard text never outlives its guard. Pure and browser-safe (no node:, no electron); tested as a table.
import type { EngineState, PairState, TargetState } from './state.js';

/** How a status looks: its colour in the window, and which tray icon it picks. */
export type StatusTone = 'ok' | 'busy' | 'paused' | 'attention' | 'error';

export type TargetStatusKey =
  | 'up-to-date'
  | 'syncing'
  | 'starting'
  | 'paused'
  | 'error'
  | 'folder-error'
  | 'deletions-held'
  | 'needs-choice'
  | 'lost-data';

export type PairStatusKey =
  | 'up-to-date'
  | 'syncing'
  | 'starting'
  | 'paused'
  | 'error'
  | 'deletions-held'
  | 'needs-choice'
  | 'lost-data';

export type OverallStatusKey =
  'no-folders' | 'up-to-date' | 'syncing' | 'starting' | 'paused' | 'needs-you' | 'lost-data' | 'error';

export interface StatusView<K extends string> {
  key: K;
  /** The badge text, lower case ("up to date", "deletions held"). */
  word: string;
  tone: StatusTone;
}

export interface OverallStatus extends StatusView<OverallStatusKey> {
  /** One sentence for the tooltip and window title ("Up to date: 2 folders", "Syncing 1 folder"). */
  headline: string;
  /** "Rsync Live — Up to date". */
  title: string;
}

export const APP_NAME = 'Rsync Live';

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The folder or its watcher failed for good (a transient watcher hiccup retries by itself). */
export function folderFailed(pair: PairState): boolean {
  return pair.watcher.error !== null && pair.watcher.error.class === 'config';
}

function targetFailed(target: TargetState): boolean {
  return target.status === 'error' || target.status === 'stopped';
}

const TARGET_VIEWS: Record<TargetStatusKey, Omit<StatusView<TargetStatusKey>, 'key'>> = {
  'needs-choice': { word: 'waits for you', tone: 'attention' },
  error: { word: 'error', tone: 'error' },
  'folder-error': { word: 'folder error', tone: 'error' },
  'deletions-held': { word: 'deletions held', tone: 'attention' },
  'lost-data': { word: 'lost data restored', tone: 'attention' },
  paused: { word: 'paused', tone: 'paused' },
  syncing: { word: 'syncing', tone: 'busy' },
  starting: { word: 'starting', tone: 'busy' },
  'up-to-date': { word: 'up to date', tone: 'ok' },
};

function view<K extends TargetStatusKey>(key: K): StatusView<K> {
  return { key, ...TARGET_VIEWS[key] };
}

/**
 * A target's status. First match wins: waits for the user's choice about data already there, failing, its
 * pair's folder failed, its pair's delete guard holds deletions, its last full sync had to restore entries the
 * target lost (never plain green: something else deletes there), paused (itself or its pair), sending or with
 * changes waiting, starting, else up to date.
 */
export function targetStatus(pair: PairState, target: TargetState): StatusView<TargetStatusKey> {
  if (target.existing) return view('needs-choice');
  if (targetFailed(target)) return view('error');
  if (folderFailed(pair)) return view('folder-error');
  if (pair.deleteGuard) return view('deletions-held');
  if (target.lost) return view('lost-data');
  if (target.status === 'paused' || pair.status === 'paused') return view('paused');
  if (target.status === 'syncing' || target.inFlight > 0 || target.queued > 0) return view('syncing');
  if (target.status === 'starting' || pair.status === 'starting') return view('starting');
  return view('up-to-date');
}

/**
 * A pair's status: a tripped delete guard, a failed folder or a failing target make it red; a target waiting
 * for the user's choice makes it "waits for you"; a target that lost data (restored) "lost data restored";
 * then paused, syncing, starting, else up to date.
 */
export function pairStatus(pair: PairState): StatusView<PairStatusKey> {
  const targets = pair.targets.map((target) => targetStatus(pair, target).key);
  if (pair.deleteGuard) return { key: 'deletions-held', word: 'deletions held', tone: 'error' };
  if (folderFailed(pair) || targets.includes('error')) return { key: 'error', word: 'error', tone: 'error' };
  if (targets.includes('needs-choice'))
    return { key: 'needs-choice', word: 'waits for you', tone: 'attention' };
  if (targets.includes('lost-data'))
    return { key: 'lost-data', word: 'lost data restored', tone: 'attention' };
  if (pair.status === 'paused') return { key: 'paused', word: 'paused', tone: 'paused' };
  if (targets.includes('syncing') || pair.status === 'syncing')
    return { key: 'syncing', word: 'syncing', tone: 'busy' };
  if (targets.includes('starting') || pair.status === 'starting')
    return { key: 'starting', word: 'starting', tone: 'busy' };
  return { key: 'up-to-date', word: 'up to date', tone: 'ok' };
}

/**
 * Everything at once (tray icon, tooltip, window title). Errors win (a tripped guard, a failed folder or
 * target), then a choice the user must make, then a target that lost data (restored), then syncing, starting, paused (every pair, or `paused`: the
 * tray's "Pause all"), else up to date. `paused` never hides a pair that is busy.
 */
export function overallStatus(state: EngineState, options: { paused?: boolean } = {}): OverallStatus {
  const pairs = state.pairs.map((pair) => ({ pair, status: pairStatus(pair) }));
  const count = (...keys: PairStatusKey[]): number =>
    pairs.filter(({ status }) => keys.includes(status.key)).length;
  const make = (key: OverallStatusKey, word: string, tone: StatusTone, headline: string): OverallStatus => ({
    key,
    word,
    tone,
    headline,
    title: `${APP_NAME} — ${headline}`,
  });
  if (pairs.length === 0) return make('no-folders', 'no folders', 'ok', 'No folders set up yet');
  const failing = count('error', 'deletions-held');
  if (failing > 0) {
    const held = count('deletions-held');
    const parts = [
      held > 0 ? `deletions held for ${plural(held, 'folder')}` : null,
      failing - held > 0 ? `${plural(failing - held, 'folder')} failing` : null,
    ].filter((part) => part !== null);
    const text = parts.join(', ');
    return make('error', 'error', 'error', `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`);
  }
  const choices = count('needs-choice');
  if (choices > 0)
    return make(
      'needs-you',
      'waits for you',
      'attention',
      `${plural(choices, 'folder')} waiting for your choice`,
    );
  const lost = count('lost-data');
  if (lost > 0)
    return make(
      'lost-data',
      'lost data restored',
      'attention',
      `${plural(lost, 'folder')}: a target lost data (restored)`,
    );
  const syncing = count('syncing');
  if (syncing > 0) return make('syncing', 'syncing', 'busy', `Syncing ${plural(syncing, 'folder')}`);
  const starting = count('starting');
  if (starting > 0) return make('starting', 'starting', 'busy', `Starting ${plural(starting, 'folder')}`);
  const paused = count('paused');
  if (paused === pairs.length || options.paused === true)
    return make('paused', 'paused', 'paused', `Paused (${plural(pairs.length, 'folder')})`);
  const upToDate = pairs.length - paused;
  return make(
    'up-to-date',
    'up to date',
    'ok',
    `Up to date: ${plural(upToDate, 'folder')}${paused > 0 ? `, ${paused} paused` : ''}`,
  );
}
