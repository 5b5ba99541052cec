// The app's "Import sersync config": confxml.xml text (picked or pasted in the window) mapped by importSersync
// into pairs whose ids do not clash with the pairs already configured, the warnings to read, and what the app
// does not take over (plugins and the fail log, which only `rsync-live sersync -o FILE` runs). No I/O: the
// AppService previews the result or saves each pair like savePair.
import path from 'node:path';
import type { PairConfig } from '../shared/config.js';
import { ApiError, type SersyncNotImported } from '../shared/api.js';
import type { PluginConfig } from '../engine/plugins/config.js';
import { describeMinutes, minutesToCron } from '../sersync/schedule.js';
import { importSersync, SersyncConfigError, type FailLogConfig } from '../sersync/index.js';

/** The name importSersync gives the text when it has no file path (the start of every message). */
const DEFAULT_LABEL = 'confxml.xml';
const ID_MAX = 64;

export interface SersyncPlan {
  /** The pairs to save, each with an id free among `existing` and the other imported pairs. */
  pairs: PairConfig[];
  warnings: string[];
  notImported: SersyncNotImported[];
}

/**
 * How the file is named in messages, and whether relative paths inside it can be resolved: an absolute
 * `fileName` (an API client, a desktop build that knows the path) is the file itself; a bare name (a browser
 * only knows that much) only names it, so a relative `watch` is an error instead of a guess.
 */
function fileOptions(fileName: string | undefined): { file?: string; label: string } {
  const name = (fileName ?? '').replace(/\p{Cc}/gu, '').trim();
  if (name === '') return { label: DEFAULT_LABEL };
  if (path.isAbsolute(name)) return { file: name, label: name };
  return { label: name };
}

/** A message from importSersync ("confxml.xml:12: …") under the file's own name. */
function relabel(message: string, label: string): string {
  return label !== DEFAULT_LABEL && message.startsWith(`${DEFAULT_LABEL}:`)
    ? label + message.slice(DEFAULT_LABEL.length)
    : message;
}

/** "id-2", "id-3", … not in `taken` (the base is shortened so the id stays within 64 characters). */
function freeId(id: string, taken: Set<string>): string {
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${id.slice(0, ID_MAX - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * Gives every imported pair an id no existing pair has: an id that is free keeps its name, one that is taken
 * gets -2, -3, … (never one another imported pair keeps). Returns the pairs in order plus "old → new" notes.
 */
export function uniquePairIds(
  pairs: PairConfig[],
  existing: Iterable<string>,
): { pairs: PairConfig[]; renamed: { from: string; to: string; folder: string }[] } {
  const used = new Set(existing);
  const taken = new Set(used);
  for (const pair of pairs) if (!used.has(pair.id)) taken.add(pair.id);
  const renamed: { from: string; to: string; folder: string }[] = [];
  const result = pairs.map((pair) => {
    if (!used.has(pair.id)) return pair;
    const id = freeId(pair.id, taken);
    taken.add(id);
    renamed.push({ from: pair.id, to: id, folder: pair.folder });
    return { ...pair, id };
  });
  return { pairs: result, renamed };
}

/** The start of a URL template without its query (refreshCDN puts the CDN login there). */
function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : `${url.slice(0, cut)}?…`;
}

function describePlugin(plugin: PluginConfig): SersyncNotImported {
  const where = plugin.folder ? ` under ${plugin.folder}` : '';
  const off = plugin.enabled ? '' : ' (switched off in the file)';
  switch (plugin.kind) {
    case 'command':
      return {
        kind: plugin.name ?? 'command',
        detail: `runs ${[...plugin.command, 'PATH', ...plugin.suffix].join(' ')} for each ${plugin.changes.includes('delete') ? 'new, changed or deleted' : 'new or changed'} path${where}${off}`,
      };
    case 'socket':
      return {
        kind: plugin.name ?? 'socket',
        detail: `sends each changed path${where} to ${plugin.host}:${plugin.port}${off}`,
      };
    case 'http':
      return {
        kind: plugin.name ?? 'http',
        detail: `${plugin.method} ${withoutQuery(plugin.url)} for each changed path${where}${off}`,
      };
    case 'cdn':
      return {
        kind: plugin.name ?? 'refreshCDN',
        detail: `HEAD http://${plugin.host}:${plugin.port}/index.jsp?… for each changed path${where}, refreshing ${plugin.base}/…${off}`,
      };
  }
}

function describeFailLog(failLog: FailLogConfig): SersyncNotImported {
  return {
    kind: 'failLog',
    detail: `records failed paths in ${failLog.path} and retries them every ${failLog.retryMinutes} min (the app shows failures in its Failures view and retries on its own)`,
  };
}

/**
 * Maps confxml.xml text to the pairs the app would save. A file importSersync refuses is an ApiError
 * 'invalid-request' carrying its located message ("confxml.xml:25:45: …").
 */
export function planSersyncImport(
  xml: string,
  fileName: string | undefined,
  existing: readonly PairConfig[],
): SersyncPlan {
  const { file, label } = fileOptions(fileName);
  let imported;
  try {
    imported = importSersync(xml, file === undefined ? {} : { file });
  } catch (error) {
    if (error instanceof SersyncConfigError)
      throw new ApiError('invalid-request', relabel(error.message, label));
    throw error;
  }
  const warnings = imported.warnings.map((warning) => relabel(warning, label));
  // importSersync names each pair by its folder path (for the command line's log lines); the window shows the
  // folder anyway and titles a pair without a name by the folder's own name, as for a pair added in the form.
  const every = imported.fullSyncEveryMinutes;
  // The app schedules full syncs with cron: sersync's "every N minutes from start" becomes the nearest cron
  // schedule that runs at least as often (`rsync-live sersync` keeps the exact interval).
  const schedule = every === undefined ? null : minutesToCron(every);
  if (schedule && every !== undefined && !schedule.exact) {
    warnings.push(
      `${label}${imported.crontabLine === undefined ? '' : `:${imported.crontabLine}`}: <crontab schedule="${every}">: every ${describeMinutes(every)} has no exact cron form, and the app schedules full syncs with cron: they run every ${describeMinutes(schedule.everyMinutes)} ("${schedule.cron}"), more often rather than less; \`rsync-live sersync -o FILE\` runs them exactly every ${every} minutes from start`,
    );
  }
  const unnamed = imported.pairs.map(({ name, ...rest }) => {
    const pair = schedule ? { ...rest, fullSync: { ...rest.fullSync, schedule: schedule.cron } } : rest;
    return name === pair.folder ? pair : { ...pair, name };
  });
  const { pairs, renamed } = uniquePairIds(
    unnamed,
    existing.map((pair) => pair.id),
  );
  for (const { from, to, folder } of renamed) {
    warnings.push(`${label}: the id "${from}" is taken: ${folder} is imported as "${to}"`);
  }
  for (const pair of pairs) {
    const same = existing.find((other) => other.folder === pair.folder);
    if (same) {
      warnings.push(
        `${label}: ${pair.folder} is already synced (folder id "${same.id}"): importing it adds a second pair for the same folder`,
      );
    }
  }
  const notImported = imported.plugins.map(describePlugin);
  if (imported.failLog) notImported.push(describeFailLog(imported.failLog));
  return { pairs, warnings, notImported };
}
