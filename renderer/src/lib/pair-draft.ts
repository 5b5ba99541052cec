// The add/edit form's model: a PairView turned into editable fields (daemon fields or an advanced URL per
// target, excludes as one-per-line text) and back into the PairInput that savePair takes. Settings the form
// does not show (max delay, watcher, extra rsync options, per-target options…) are carried over unchanged.
// The delete guard's fields are checked in delete-guard.ts (guardProblem) before saving.
import type { PairInput, PairView, TargetInput, TargetView } from '../../../electron/shared/api.ts';
import type { DeletionPolicy } from '../../../electron/shared/config.ts';
import { DEFAULT_DELAY_MS } from '../../../electron/shared/timing.ts';
import { guardDraft, guardInput, type GuardDraft } from './delete-guard.ts';
import { buildDaemonUrl, DEFAULT_DAEMON_PORT, parseDaemonUrl } from './target-url.ts';

export interface TargetDraft {
  /** Stable key for the list in the form. */
  key: number;
  id: string;
  isNew: boolean;
  mode: 'daemon' | 'url';
  host: string;
  port: number | null;
  module: string;
  subPath: string;
  user: string;
  url: string;
  /** New password; empty keeps the stored one. */
  password: string;
  forgetPassword: boolean;
  hasPassword: boolean;
  original: TargetView | null;
}

export interface PairDraft {
  id: string;
  isNew: boolean;
  name: string;
  folder: string;
  targets: TargetDraft[];
  deletion: DeletionPolicy;
  regexExcludes: string;
  globExcludes: string;
  delayMs: number | null;
  bwlimitKiB: number | null;
  schedule: string;
  /** The delete guard: on/off, share of the folder in percent, minimum entries. */
  guard: GuardDraft;
  original: PairView | null;
}

let nextKey = 1;

export function targetDraft(target: TargetView | null, id: string): TargetDraft {
  const daemon = target ? parseDaemonUrl(target.url) : null;
  return {
    key: nextKey++,
    id,
    isNew: target === null,
    mode: target && !daemon ? 'url' : 'daemon',
    host: daemon?.host ?? '',
    port: daemon?.port ?? DEFAULT_DAEMON_PORT,
    module: daemon?.module ?? '',
    subPath: daemon?.subPath ?? '',
    user: daemon?.user ?? '',
    url: target?.url ?? '',
    password: '',
    forgetPassword: false,
    hasPassword: target?.hasPassword ?? false,
    original: target,
  };
}

/** A target id (t1, t2, …) not used by the other targets of the pair. */
export function freeTargetId(taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) if (!used.has(`t${n}`)) return `t${n}`;
}

/** A pair id from the folder's name plus a short random suffix, e.g. "photos-3f9a". */
export function newPairId(folder: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base =
    (folder.replace(/\/+$/, '').split('/').pop() ?? '')
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 48) || 'pair';
  for (;;) {
    const id = `${base}-${Math.random().toString(16).slice(2, 6)}`;
    if (!used.has(id)) return id;
  }
}

export function pairDraft(pair: PairView | null): PairDraft {
  return {
    id: pair?.id ?? '',
    isNew: pair === null,
    name: pair?.name ?? '',
    folder: pair?.folder ?? '',
    targets: pair ? pair.targets.map((target) => targetDraft(target, target.id)) : [targetDraft(null, 't1')],
    deletion: pair?.deletion ?? 'mirror',
    regexExcludes: pair?.excludes.regex.join('\n') ?? '',
    globExcludes: pair?.excludes.glob.join('\n') ?? '',
    delayMs: pair?.delayMs ?? DEFAULT_DELAY_MS,
    bwlimitKiB: pair?.rsync.bwlimitKiB ?? 0,
    schedule: pair?.fullSync.schedule ?? '',
    guard: guardDraft(pair?.deleteGuard),
    original: pair,
  };
}

export function targetUrl(target: TargetDraft): string {
  return target.mode === 'daemon' ? buildDaemonUrl(target) : target.url.trim();
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The password part of a target: omitted keeps the stored one, "" removes it. */
function passwordChange(target: TargetDraft): { password?: string } {
  if (target.password !== '') return { password: target.password };
  if (target.forgetPassword) return { password: '' };
  return {};
}

export function targetInput(target: TargetDraft): TargetInput {
  const original = target.original;
  return {
    id: target.id,
    url: targetUrl(target),
    concurrency: original?.concurrency ?? 2,
    ...(original?.passwordFile ? { passwordFile: original.passwordFile } : {}),
    ...(original?.rsync ? { rsync: original.rsync } : {}),
    ...passwordChange(target),
  };
}

export function pairInput(draft: PairDraft): PairInput {
  const base = draft.original;
  const { targets: _targets, name: _name, ...kept } = base ?? { targets: [], name: undefined };
  const name = draft.name.trim();
  return {
    ...kept,
    id: draft.id,
    ...(name ? { name } : {}),
    folder: draft.folder.trim(),
    targets: draft.targets.map(targetInput),
    deletion: draft.deletion,
    excludes: {
      defaultTemporary: base?.excludes.defaultTemporary ?? true,
      regex: lines(draft.regexExcludes),
      glob: lines(draft.globExcludes),
    },
    delayMs: draft.delayMs ?? DEFAULT_DELAY_MS,
    fullSync: {
      onStart: base?.fullSync.onStart ?? true,
      excludes: base?.fullSync.excludes ?? [],
      schedule: draft.schedule.trim() || null,
    },
    rsync: {
      extraArgs: base?.rsync.extraArgs ?? [],
      timeoutSec: base?.rsync.timeoutSec ?? 60,
      contimeoutSec: base?.rsync.contimeoutSec ?? 15,
      bwlimitKiB: draft.bwlimitKiB ?? 0,
    },
    deleteGuard: guardInput(draft.guard, base?.deleteGuard),
  };
}
