// The one API contract between the UI and the app, whatever carries it (Electron IPC or HTTP + WebSocket in
// headless mode). Every method is listed once with its request schema (validated on the receiving side) and
// its response type; every push event is listed once. Browser-safe: no node:, no electron.
import { z } from 'zod';
import { pairSchema, targetListSchema, targetSchema, type RsyncOptions } from './config.js';
import { folderProblem } from './folder-rules.js';
import type { BatchSummary, EngineState, SyncError, TransferProgress } from './state.js';
import {
  restoreRequests,
  type BackupListingView,
  type BackupSearchView,
  type BackupVersionsView,
  type RestoreEvents,
  type RestoreResultView,
} from './restore.js';

/** A target as the UI edits it: the password travels only UI → app, never back. */
export const targetInputSchema = targetSchema.extend({
  /** New password; omitted = keep the stored one; "" = remove it. */
  password: z.string().max(1024).optional(),
});
export type TargetInput = z.infer<typeof targetInputSchema>;

export const pairInputSchema = pairSchema.extend({ targets: targetListSchema(targetInputSchema) });
export type PairInput = z.input<typeof pairInputSchema>;

/** A stored target as the UI sees it: never the password, only whether one is stored. */
export interface TargetView {
  id: string;
  url: string;
  passwordFile?: string;
  hasPassword: boolean;
  concurrency: number;
  /** Per-target rsync option overrides, so an edit in the UI keeps them. */
  rsync?: Partial<RsyncOptions>;
}
export type PairView = Omit<z.infer<typeof pairSchema>, 'targets'> & { targets: TargetView[] };

export interface ConnectionTestResult {
  ok: boolean;
  /** Modules the daemon lists (daemon targets). */
  modules: string[];
  authOk: boolean | null;
  writable: boolean | null;
  error: { kind: SyncError['kind']; message: string } | null;
  /** What the server's rsync accepts, learnt by the dry runs real syncs start with (absent for local targets). */
  server?: ServerCapabilitiesView;
  /**
   * What the target path holds against the request's folder (when one was given and the test passed), counted
   * like the first sync counts: every file, directory and link is one entry.
   */
  existing?: TargetContentsView;
  /** Why the target path was not compared with the folder (folder missing, listing failed); absent otherwise. */
  existingNote?: string;
}

/** A target path's entries against a pair's folder, as Test connection reports them. */
export interface TargetContentsView {
  /** Entries at the target path (0: empty or missing). */
  entries: number;
  /** Of them, entries the folder doesn't have: what a mirror would delete. */
  foreign: number;
  /** The first 100 top-most foreign entries (a directory ends in "/"). */
  sample: string[];
  /** A sub-path named after this host and folder, as a full target URL, to pair with instead. */
  suggestion: string;
}

/** Test connection's line about the target path: "this path holds 201 entries, 200 not in your folder". */
export function describeTargetContents(contents: Pick<TargetContentsView, 'entries' | 'foreign'>): string {
  const { entries, foreign } = contents;
  if (entries === 0) return 'this path is empty: nothing will be deleted';
  const holds = `this path holds ${entries} ${entries === 1 ? 'entry' : 'entries'}`;
  if (foreign === 0) return `${holds}, all in your folder: nothing will be deleted`;
  return `${holds}, ${foreign} not in your folder`;
}

/** A target server's capabilities as Test connection reports them. */
export interface ServerCapabilitiesView {
  /** The release range the probes point to, e.g. "3.1.3 to 3.2.2". */
  version: string;
  /** --mkpath (3.2.3+); without it a missing sub-path is created by a directory push first. */
  mkpath: boolean;
  /** --modify-window=-1 (3.1.3+); without it mtimes are compared to the second. */
  modifyWindowNs: boolean;
  /** A deleted directory and entries below it in one deletion list (3.2.3+). */
  nestedDeletes: boolean;
  /** One line for people: "rsync 3.1.3 to 3.2.2: sub-paths created without --mkpath; ...". */
  summary: string;
  /** Each option the server lacks: "... does not support --mkpath (needs rsync 3.2.3 or newer): rsync-live ...". */
  notes: string[];
}

/** The settings the user changes (`setSettings` takes any subset of these, nothing else). */
export const settingsChangeSchema = z.strictObject({
  /** Start the desktop app at login (an XDG autostart entry). Only where `autostartSupported`. */
  autostart: z.boolean().optional(),
  /** Desktop notifications when a folder stops syncing (the desktop app shows them; headless stores it only). */
  notifications: z.boolean().optional(),
});
export type SettingsChange = z.infer<typeof settingsChangeSchema>;
export type EditableSettings = Required<SettingsChange>;

/** What `getSettings` and `setSettings` answer: the editable settings plus read-only facts about this app. */
export interface AppSettings extends EditableSettings {
  /** Passwords saved now survive a restart (false: no system keyring, they are kept for this session only). */
  readonly secretsPersisted: boolean;
  /** Why passwords are not saved, for the window's warning; null when they are. */
  readonly secretsNote: string | null;
  /** Start at login can be switched here (the desktop app on Linux; never in headless mode). */
  readonly autostartSupported: boolean;
}

/** Something in a sersync file the app does not take over (a plugin or the fail log), for the import preview. */
export interface SersyncNotImported {
  /** sersync's name: command, socket, refreshCDN, http, or failLog. */
  kind: string;
  /** What it does, in a sentence fragment, without credentials. */
  detail: string;
}

/** What `importSersync` answers: the pairs (as they would be or were saved), what to read, what was left out. */
export interface SersyncImportResult {
  /** One per <localpath> with a <remote>, ids free among the existing pairs (-2, -3, … when taken). */
  pairs: PairView[];
  /** "file:line: what changes and why", one per line. */
  warnings: string[];
  /** Plugins and the fail log: the app stores folders and targets; these run with `rsync-live sersync -o FILE`. */
  plugins: SersyncNotImported[];
  /** true: every pair was saved and started; false: a preview, nothing changed. */
  applied: boolean;
}

const optionalIds = z.strictObject({ pairId: z.string().optional(), targetId: z.string().optional() });
const empty = z.strictObject({}).optional();

/** Request schemas, one per method. */
export const apiRequests = {
  getState: empty,
  listPairs: empty,
  savePair: z.strictObject({ pair: pairInputSchema }),
  removePair: z.strictObject({ pairId: z.string().min(1) }),
  testConnection: z.strictObject({
    url: z.string().min(1),
    password: z.string().max(1024).optional(),
    passwordFile: z.string().optional(),
    /** Use the password stored for this existing target when no password is given. */
    pairId: z.string().optional(),
    targetId: z.string().optional(),
    /** The pair's folder (typed so far): also list what the target path holds that this folder doesn't. */
    folder: z
      .string()
      .min(1, 'give a folder')
      .superRefine((folder, ctx) => {
        const problem = folderProblem(folder);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  }),
  syncNow: optionalIds,
  retryNow: optionalIds,
  pause: z.strictObject({ pairId: z.string().optional() }),
  resume: z.strictObject({ pairId: z.string().optional() }),
  /**
   * Send the deletions the pair's delete guard is holding back (the user confirmed them); on a new pair whose
   * first sync found data on a target that the folder doesn't have, delete that data too (mirror).
   */
  confirmDeletions: z.strictObject({ pairId: z.string().min(1) }),
  /** Keep the data a new pair's first sync found on its target(s) (merge): it is never deleted. */
  keepExisting: z.strictObject({ pairId: z.string().min(1), targetId: z.string().min(1).optional() }),
  /** Map a sersync confxml.xml to pairs: a preview, or with `apply` save them all (each like savePair). */
  importSersync: z.strictObject({
    xml: z.string().min(1).max(1_000_000),
    /** The file's name (messages use it) or absolute path (relative paths inside resolve against it). */
    fileName: z.string().max(4096).optional(),
    apply: z.boolean().default(false),
  }),
  getActivity: empty,
  pickFolder: empty,
  getSettings: empty,
  /** Strict: the read-only fields of AppSettings are an invalid request. */
  setSettings: settingsChangeSchema,
  /** Browse backup, search, versions and restore (issue 16): see ./restore.ts. */
  ...restoreRequests,
} as const;

export type ApiMethod = keyof typeof apiRequests;

/** Response types, one per method; the compiler fails if a method is missing here. */
export interface ApiResponses {
  getState: EngineState;
  listPairs: PairView[];
  savePair: PairView;
  removePair: { removed: boolean };
  testConnection: ConnectionTestResult;
  syncNow: { ok: true };
  retryNow: { ok: true };
  pause: { ok: true };
  resume: { ok: true };
  /** true: the guard was released and the held deletions go out to every target; false: nothing waited. */
  confirmDeletions: { confirmed: boolean };
  /** true: the data found on the target(s) is kept from now on; false: nothing waited for that choice. */
  keepExisting: { kept: boolean };
  importSersync: SersyncImportResult;
  getActivity: BatchSummary[];
  pickFolder: { folder: string | null };
  getSettings: AppSettings;
  setSettings: AppSettings;
  browse: BackupListingView;
  searchBackup: BackupSearchView;
  versions: BackupVersionsView;
  restore: RestoreResultView;
}

type _EveryMethodHasAResponse = ApiResponses[ApiMethod];
type _NoExtraResponses = { [K in keyof ApiResponses]: K extends ApiMethod ? true : never };
export type ApiContractCheck = [_EveryMethodHasAResponse, _NoExtraResponses];

export type ApiRequest<M extends ApiMethod> = z.input<(typeof apiRequests)[M]>;
/** A request after validation (defaults applied), as the handlers receive it. */
export type ApiParsedRequest<M extends ApiMethod> = z.output<(typeof apiRequests)[M]>;

/** Push events from the app to the UI. */
export interface ApiEvents extends RestoreEvents {
  state: EngineState;
  batch: BatchSummary;
  progress: { pairId: string; targetId: string } & TransferProgress;
  failure: { pairId: string; targetId: string | null; error: SyncError };
  recovered: { pairId: string; targetId: string | null };
  /** The settings after a change (from any window, browser tab or the tray). */
  settings: AppSettings;
  /** Open the window on a pair (notification click). */
  focusPair: { pairId: string };
}
export type ApiEventName = keyof ApiEvents;
export const API_EVENTS: readonly ApiEventName[] = [
  'state',
  'batch',
  'progress',
  'failure',
  'recovered',
  'settings',
  'focusPair',
  'restoreProgress',
  'restoreEnd',
];

/** What a transport must provide to the renderer. */
export interface ApiClient {
  call<M extends ApiMethod>(method: M, request?: ApiRequest<M>): Promise<ApiResponses[M]>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** One thing wrong with one field of a request, so a form can show it at that field. */
export interface FieldIssue {
  /** Dotted path inside the edited object: "folder", "targets.0.url", "rsync.extraArgs.2". */
  field: string;
  message: string;
}

/** An error as it crosses a transport: a kind the UI can explain and a message for people. */
export interface ApiErrorPayload {
  kind: 'invalid-request' | 'not-found' | 'bad-config' | 'unavailable' | 'internal';
  message: string;
  /** savePair (and other edits): what is wrong, field by field; the message lists the same. */
  issues?: FieldIssue[];
}

export class ApiError extends Error {
  readonly kind: ApiErrorPayload['kind'];
  readonly issues: FieldIssue[] | undefined;
  constructor(kind: ApiErrorPayload['kind'], message: string, issues?: FieldIssue[]) {
    super(message);
    this.kind = kind;
    this.issues = issues;
  }

  toPayload(): ApiErrorPayload {
    return { kind: this.kind, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }
}

/** IPC channel names for Electron (one invoke channel, one event channel). */
export const IPC_INVOKE_CHANNEL = 'rsync-live:call';
export const IPC_EVENT_CHANNEL = 'rsync-live:event';

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(apiRequests, value);
}

/** The envelope every transport returns for a call (errors are values, so they survive IPC and HTTP intact). */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorPayload };

/** What the preload script exposes on `window.rsyncLive` in Electron. */
export interface PreloadBridge {
  call(method: ApiMethod, request: unknown): Promise<ApiResult<unknown>>;
  on(listener: (event: ApiEventName, payload: unknown) => void): () => void;
}
