// The app behind the UI, free of any transport: validates each API request against the shared contract,
// keeps pairs and secrets in their stores, drives the engine, and pushes state and activity events. Electron
// IPC and the headless HTTP/WebSocket server both call `handle` and forward `events`.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import type { z } from 'zod';
import { formatIssues, type PairConfig, type ParsedTargetConfig } from '../shared/config.js';
import {
  ApiError,
  apiRequests,
  isApiMethod,
  pairInputSchema,
  type ApiEvents,
  type ApiMethod,
  type ApiParsedRequest,
  type ApiResponses,
  type ApiResult,
  type AppSettings,
  type EditableSettings,
  type FieldIssue,
  type PairInput,
  type PairView,
  type SettingsChange,
  type TargetView,
} from '../shared/api.js';
import type { BatchSummary, EngineState } from '../shared/state.js';
import { expandHome } from '../shared/folder-rules.js';
import { splitUrlPassword } from '../shared/url-password.js';
import { Engine, findOverlap, type EnginePairConfig } from '../engine/index.js';
import { parseTarget } from '../engine/rsync/target.js';
import { testConnection } from '../engine/connection-test.js';
import { excludeGlobs } from '../engine/excludes.js';
import { formatFieldIssues, validatePair } from './pair-validation.js';
import { planSersyncImport, uniquePairIds } from './sersync-import.js';
import { RestoreService } from './restore-service.js';
import { secretKey, type PairStore, type SecretStore } from './stores.js';

/** Where the settings live and what they do (the desktop app: its settings file, autostart, safeStorage). */
export interface SettingsHooks {
  get(): Promise<AppSettings>;
  /** Applies a validated change (only the editable fields) and answers the settings as they now are. */
  set(change: SettingsChange): Promise<AppSettings>;
}

export interface AppServiceOptions {
  engine: Engine;
  pairs: PairStore;
  secrets: SecretStore;
  /** Default: headlessSettings over `secrets`. */
  settings?: SettingsHooks;
  pickFolder?: () => Promise<string | null>;
  rsync?: string;
  /** How often state snapshots are pushed at most, in ms. */
  stateIntervalMs?: number;
  /** What "~" in a folder means (default: the user's home directory). */
  home?: string;
}

type EventTuples = { [K in keyof ApiEvents]: [ApiEvents[K]] };

const ACTIVITY_LIMIT = 200;

/**
 * The settings of headless mode (`rsync-live serve`), kept in memory for as long as the service runs. Start at
 * login belongs to the desktop app, so it is off and cannot be switched on here; `notifications` is stored but
 * nothing shows notifications headless. Whether passwords persist comes from the secret store (the 0600
 * secrets file: yes).
 */
export function headlessSettings(secrets: Pick<SecretStore, 'status'>): SettingsHooks {
  let stored: EditableSettings = { autostart: false, notifications: true };
  const view = (): AppSettings => {
    const status = secrets.status?.() ?? { secretsPersisted: true, reason: null };
    return {
      ...stored,
      secretsPersisted: status.secretsPersisted,
      secretsNote: status.secretsPersisted ? null : status.reason,
      autostartSupported: false,
    };
  };
  return {
    get: async () => view(),
    set: async (change) => {
      if (change.autostart === true) {
        throw new ApiError(
          'unavailable',
          "start at login is a desktop-app setting: rsync-live serve cannot start itself at login (use a systemd user service or your desktop's startup programs)",
        );
      }
      stored = {
        ...stored,
        ...(change.notifications === undefined ? {} : { notifications: change.notifications }),
      };
      return view();
    },
  };
}

/** Every method of the contract, each typed by its own request and response: a wrong shape does not compile. */
type Handlers = { [M in ApiMethod]: (request: ApiParsedRequest<M>) => Promise<ApiResponses[M]> };

/** A stored target as the UI sees it: never the password, only whether one is stored. */
export function toTargetView(target: ParsedTargetConfig, hasPassword: boolean): TargetView {
  return {
    id: target.id,
    url: target.url,
    ...(target.passwordFile ? { passwordFile: target.passwordFile } : {}),
    hasPassword,
    concurrency: target.concurrency,
    ...(target.rsync ? { rsync: target.rsync } : {}),
  };
}

/** Zod issues of a `{ pair }` request as field issues of the pair ("targets.0.url"). */
function pairFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path
      .slice(issue.path[0] === 'pair' ? 1 : 0)
      .map(String)
      .join('.'),
    message: issue.message,
  }));
}

/** The same host (and port and user) as the target a password was stored for: only then is it sent. */
function sameServer(a: string, b: string): boolean {
  try {
    const x = parseTarget(a);
    const y = parseTarget(b);
    if (x.kind === 'local' || y.kind === 'local') return false;
    return (
      x.kind === y.kind &&
      x.host.toLowerCase() === y.host.toLowerCase() &&
      x.user === y.user &&
      (x.kind === 'daemon' && y.kind === 'daemon' ? x.port === y.port : true)
    );
  } catch {
    return false;
  }
}

export class AppService {
  readonly events = new EventEmitter<EventTuples>();
  readonly #options: AppServiceOptions;
  readonly #engine: Engine;
  readonly #settings: SettingsHooks;
  #pairs: PairConfig[] = [];
  readonly #activity: BatchSummary[] = [];
  #activitySeq = 0;
  #stateTimer: NodeJS.Timeout | null = null;
  readonly #handlers: Handlers;

  /**
   * An Activity entry (a run that ended, a restore), numbered and with its pair's name and target URL, so
   * Activity names them after the pair is removed; then pushed to every window.
   */
  #record(entry: BatchSummary): void {
    const seq = ++this.#activitySeq;
    const pair = this.#pairs.find((p) => p.id === entry.pairId);
    const target = pair?.targets.find((t) => t.id === entry.targetId);
    const pairName = pair && (pair.name ?? (pair.folder.split('/').filter(Boolean).pop() || pair.folder));
    const summary: BatchSummary = {
      ...entry,
      seq,
      ...(pairName ? { pairName } : {}),
      ...(target ? { targetUrl: target.url } : {}),
    };
    this.#activity.unshift(summary);
    this.#activity.length = Math.min(this.#activity.length, ACTIVITY_LIMIT);
    this.events.emit('batch', summary);
  }

  constructor(options: AppServiceOptions) {
    this.#options = options;
    this.#engine = options.engine;
    this.#settings = options.settings ?? headlessSettings(options.secrets);
    this.events.setMaxListeners(100);
    const engine = this.#engine;
    engine.on('state', () => this.#scheduleState());
    engine.on('batch-end', (ended) => this.#record(ended));
    engine.on('progress', ({ runId: _runId, ...progress }) => this.events.emit('progress', progress));
    engine.on('failure', (info) => this.events.emit('failure', info));
    engine.on('recovered', (info) => this.events.emit('recovered', info));
    const ok = { ok: true as const };
    const restore = new RestoreService({
      engine,
      onProgress: (progress) => this.events.emit('restoreProgress', progress),
      onEnd: (end) => this.events.emit('restoreEnd', end),
      onActivity: (entry) => this.#record(entry),
      ...(options.home === undefined ? {} : { home: options.home }),
    });
    this.#handlers = {
      getState: async () => this.state(),
      listPairs: async () => Promise.all(this.#pairs.map((pair) => this.#view(pair))),
      savePair: async ({ pair }) => this.#savePair(pair),
      removePair: async ({ pairId }) => this.#removePair(pairId),
      testConnection: async (request) => this.#testConnection(request),
      syncNow: async ({ pairId, targetId }) => {
        if (!(await this.#restartIfFolderAppeared(pairId))) this.#engine.fullSync(pairId, targetId);
        return ok;
      },
      retryNow: async ({ pairId, targetId }) => {
        if (!(await this.#restartIfFolderAppeared(pairId))) this.#engine.retryNow(pairId, targetId);
        return ok;
      },
      pause: async ({ pairId }) => {
        this.#engine.pause(pairId);
        return ok;
      },
      resume: async ({ pairId }) => {
        if (!(await this.#restartIfFolderAppeared(pairId))) this.#engine.resume(pairId);
        return ok;
      },
      confirmDeletions: async ({ pairId }) => this.#confirmDeletions(pairId),
      keepExisting: async ({ pairId, targetId }) => this.#keepExisting(pairId, targetId),
      importSersync: async (request) => this.#importSersync(request),
      getActivity: async () => [...this.#activity],
      pickFolder: async () => ({
        folder: this.#options.pickFolder ? await this.#options.pickFolder() : null,
      }),
      getSettings: async () => this.#settings.get(),
      setSettings: async (change) => {
        const settings = await this.#settings.set(change);
        this.events.emit('settings', settings);
        return settings;
      },
      browse: async (request) => restore.browse(request),
      searchBackup: async (request) => restore.search(request),
      versions: async (request) => restore.versions(request),
      restore: async (request) => restore.restore(request),
    };
  }

  /** The engine's state as every shell shows it (the shells never reach the engine itself). */
  state(): EngineState {
    return this.#engine.state();
  }

  /** Resolves when everything changed so far has been sent (or its target is failing, paused or stopped). */
  whenIdle(pairId?: string): Promise<void> {
    return this.#engine.whenIdle(pairId);
  }

  /** Loads the stored pairs and starts them. A broken pair shows its error; the others start. */
  async start(options: { confirmDeletions?: boolean; keepExisting?: boolean } = {}): Promise<void> {
    this.#pairs = await this.#options.pairs.load();
    // A file saved before passwords in URLs were refused: they move into the secret store, the file is rewritten.
    const found = this.#options.pairs.takeUrlPasswords?.() ?? new Map<string, string>();
    for (const [key, password] of found) await this.#options.secrets.set(key, password);
    if (found.size > 0) await this.#options.pairs.save(this.#pairs);
    for (const pair of this.#pairs) await this.#engine.addPair(await this.#withSecrets(pair), options);
  }

  async stop(): Promise<void> {
    if (this.#stateTimer) clearTimeout(this.#stateTimer);
    await this.#engine.stop();
  }

  #scheduleState(): void {
    if (this.#stateTimer) return;
    this.#stateTimer = setTimeout(() => {
      this.#stateTimer = null;
      this.events.emit('state', this.#engine.state());
    }, this.#options.stateIntervalMs ?? 100);
    this.#stateTimer.unref();
  }

  async #withSecrets(pair: PairConfig): Promise<EnginePairConfig> {
    const targets = await Promise.all(
      pair.targets.map(async (target) => {
        const password = await this.#options.secrets.get(secretKey(pair.id, target.id));
        return password === null ? target : { ...target, password };
      }),
    );
    return { ...pair, targets };
  }

  async #view(pair: PairConfig): Promise<PairView> {
    const targets = await Promise.all(
      pair.targets.map(async (target) =>
        toTargetView(target, (await this.#options.secrets.get(secretKey(pair.id, target.id))) !== null),
      ),
    );
    return { ...pair, targets };
  }

  /** Validates and runs one API call. Throws ApiError with a kind the UI can explain. */
  async handle(method: unknown, request: unknown): Promise<unknown> {
    if (!isApiMethod(method))
      throw new ApiError('invalid-request', `unknown method ${JSON.stringify(method)}`);
    const raw =
      method === 'savePair'
        ? this.#normalizeSave(request)
        : method === 'testConnection'
          ? this.#withHomeFolder(request)
          : request;
    const parsed = apiRequests[method].safeParse(raw ?? {});
    if (!parsed.success) {
      throw new ApiError(
        'invalid-request',
        `invalid ${method} request:\n${formatIssues(parsed.error)}`,
        method === 'savePair' ? pairFieldIssues(parsed.error) : undefined,
      );
    }
    return this.#call(method, parsed.data as ApiParsedRequest<typeof method>);
  }

  #call<M extends ApiMethod>(method: M, request: ApiParsedRequest<M>): Promise<ApiResponses[M]> {
    return this.#handlers[method](request);
  }

  /**
   * A pair whose folder was missing when it started does nothing until it restarts: Sync now, Retry now and
   * Resume restart it (it starts if the folder is there now, or shows the same error again). True if so.
   */
  async #restartIfFolderAppeared(pairId: string | undefined): Promise<boolean> {
    const ids = pairId === undefined ? this.#pairs.map((pair) => pair.id) : [pairId];
    let restarted = false;
    for (const id of ids) {
      const state = this.#engine.state().pairs.find((pair) => pair.id === id);
      const config = this.#pairs.find((pair) => pair.id === id);
      if (!state || !config || state.watcher.error?.kind !== 'source-missing' || state.deleteGuard) continue;
      await this.#engine.updatePair(await this.#withSecrets(config));
      restarted = true;
    }
    if (restarted) this.#scheduleState();
    return restarted && pairId !== undefined;
  }

  /**
   * The form's pair as it is meant: "~" is the home directory, and a password typed into a target URL
   * (rsync://user:secret@host/…) moves into the target's password (stored in the secret store, never in the
   * URL, the pairs file, the state or a message).
   */
  #normalize(input: PairInput): PairInput {
    const home = this.#options.home ?? os.homedir();
    const pair = input as { folder?: unknown; targets?: unknown };
    return {
      ...input,
      ...(typeof pair.folder === 'string' ? { folder: expandHome(pair.folder, home) } : {}),
      ...(Array.isArray(pair.targets)
        ? {
            targets: (pair.targets as unknown[]).map((target) => {
              const t = target as { url?: unknown; password?: unknown } | null;
              if (typeof t?.url !== 'string') return target;
              const { url, password } = splitUrlPassword(t.url);
              if (password === null) return target;
              return {
                ...t,
                url,
                password: typeof t.password === 'string' && t.password ? t.password : password,
              };
            }) as PairInput['targets'],
          }
        : {}),
    };
  }

  /** A savePair request with its pair normalized (see #normalize); anything else is left to the schema. */
  #normalizeSave(request: unknown): unknown {
    const r = request as { pair?: unknown } | null;
    if (typeof r?.pair !== 'object' || r.pair === null) return request;
    return { ...r, pair: this.#normalize(r.pair as PairInput) };
  }

  async #savePair(input: PairInput): Promise<PairView> {
    const parsed = pairInputSchema.safeParse(this.#normalize(input as PairInput));
    if (!parsed.success) {
      throw new ApiError(
        'invalid-request',
        `the pair cannot be saved:\n${formatIssues(parsed.error)}`,
        pairFieldIssues(parsed.error),
      );
    }
    const { targets, ...rest } = parsed.data;
    const pair: PairConfig = { ...rest, targets: targets.map(({ password: _p, ...target }) => target) };
    const issues = await validatePair(pair, this.#pairs);
    if (issues.length > 0)
      throw new ApiError(
        'invalid-request',
        `the pair cannot be saved:\n${formatFieldIssues(issues)}`,
        issues,
      );
    for (const target of targets) {
      const key = secretKey(pair.id, target.id);
      if (target.password === '') await this.#options.secrets.delete(key);
      else if (target.password !== undefined) await this.#options.secrets.set(key, target.password);
    }
    const existing = this.#pairs.findIndex((p) => p.id === pair.id);
    const next = [...this.#pairs];
    if (existing >= 0) next[existing] = pair;
    else next.push(pair);
    await this.#options.pairs.save(next);
    this.#pairs = next;
    if (existing >= 0) await this.#engine.updatePair(await this.#withSecrets(pair));
    else await this.#engine.addPair(await this.#withSecrets(pair));
    this.#scheduleState();
    return this.#view(pair);
  }

  async #removePair(pairId: string): Promise<{ removed: boolean }> {
    const pair = this.#pairs.find((p) => p.id === pairId);
    if (!pair) throw new ApiError('not-found', `there is no pair "${pairId}"`);
    this.#pairs = this.#pairs.filter((p) => p.id !== pairId);
    await this.#options.pairs.save(this.#pairs);
    await this.#engine.removePair(pairId);
    for (const target of pair.targets) await this.#options.secrets.delete(secretKey(pairId, target.id));
    this.#scheduleState();
    return { removed: true };
  }

  /**
   * The user confirmed the deletions the pair's delete guard held back: the engine sends them (a pair whose
   * folder went away or was replaced restarts on the folder as it is now), then one full sync per target
   * mirrors the folder as it is now. That sync also uses up the confirmation at once, so it never lingers
   * until some later scheduled sync. A pair whose guard is not tripped (another window confirmed first) is
   * left alone: `confirmed: false`.
   */
  async #confirmDeletions(pairId: string): Promise<ApiResponses['confirmDeletions']> {
    const pair = this.#engine.state().pairs.find((p) => p.id === pairId);
    if (!pair) throw new ApiError('not-found', `there is no pair "${pairId}"`);
    const confirmed = await this.#engine.confirmDeletions(pairId);
    this.#scheduleState();
    return { confirmed };
  }

  /** The user keeps the data a new pair's first sync found on its target(s): never deleted from now on. */
  async #keepExisting(pairId: string, targetId?: string): Promise<ApiResponses['keepExisting']> {
    if (!this.#engine.state().pairs.some((p) => p.id === pairId))
      throw new ApiError('not-found', `there is no pair "${pairId}"`);
    const kept = await this.#engine.keepExisting(pairId, targetId);
    this.#scheduleState();
    return { kept };
  }

  /**
   * "Import sersync config": maps the file (a located ApiError when it is wrong) and answers the pairs as they
   * would be saved. With `apply`, saves and starts each one through savePair, in order; an id another window
   * took meanwhile is moved on to the next free one, so an existing pair is never replaced.
   */
  async #importSersync(r: ApiParsedRequest<'importSersync'>): Promise<ApiResponses['importSersync']> {
    const plan = planSersyncImport(r.xml, r.fileName, this.#pairs);
    // Folders whose targets overlap (several <localpath> into one module) would delete each other's files.
    const overlaps: string[] = [];
    const accepted: PairConfig[] = [...this.#pairs];
    for (const planned of plan.pairs) {
      const overlap = findOverlap(planned, accepted);
      if (overlap)
        overlaps.push(`${r.fileName ?? 'confxml.xml'}: ${planned.folder} is not imported: ${overlap}`);
      else accepted.push(planned);
    }
    const answer = { warnings: [...plan.warnings, ...overlaps], plugins: plan.notImported };
    if (!r.apply) return { ...answer, pairs: plan.pairs.map(previewView), applied: false };
    // Every pair is checked before the first is saved: a refused import changes nothing.
    const issues: FieldIssue[] = [];
    for (const [index, planned] of plan.pairs.entries()) {
      const found = await validatePair(planned, [...this.#pairs, ...plan.pairs.slice(0, index)]);
      issues.push(...found.map((issue) => ({ ...issue, field: `pairs.${index}.${issue.field}` })));
    }
    if (issues.length > 0)
      throw new ApiError(
        'invalid-request',
        `the import cannot be applied:\n${formatFieldIssues(issues)}`,
        issues,
      );
    const saved: PairView[] = [];
    for (const planned of plan.pairs) {
      const taken = this.#pairs.map((pair) => pair.id);
      const pair = taken.includes(planned.id)
        ? (uniquePairIds([planned], taken).pairs[0] ?? planned)
        : planned;
      // A new pair has no password: "" also clears one a removed pair may have left under the same keys.
      const targets = pair.targets.map((target) => ({ ...target, password: '' }));
      saved.push(await this.#savePair({ ...pair, targets }));
    }
    this.#scheduleState();
    return { ...answer, pairs: saved, applied: true };
  }

  /**
   * "Test connection". A password typed into the URL is used and never echoed. Without a password in the
   * request, the one stored for `pairId`/`targetId` is used only when the URL still names the server it was
   * stored for (same host, port and user): a form edited to another host never receives it.
   */
  async #testConnection(r: ApiParsedRequest<'testConnection'>): Promise<ApiResponses['testConnection']> {
    const { url, password: inUrl } = splitUrlPassword(r.url);
    let password = r.password ?? inUrl;
    if (password === null && r.pairId !== undefined && r.targetId !== undefined) {
      const stored = this.#pairs
        .find((pair) => pair.id === r.pairId)
        ?.targets.find((t) => t.id === r.targetId);
      if (stored && sameServer(stored.url, url))
        password = await this.#options.secrets.get(secretKey(r.pairId, r.targetId));
    }
    // An existing target is tested with its pair's rsync options, so the test sends what its syncs send.
    const pair = typeof r.pairId === 'string' ? this.#pairs.find((p) => p.id === r.pairId) : undefined;
    const target = pair?.targets.find((t) => t.id === r.targetId);
    const rsync = pair ? { ...pair.rsync, ...target?.rsync } : undefined;
    return testConnection({
      url,
      password,
      passwordFile: r.passwordFile ?? null,
      ...(this.#options.rsync ? { rsync: this.#options.rsync } : {}),
      ...(rsync ? { options: rsync } : {}),
      // With the folder, the test also says what the target path holds that the folder doesn't.
      ...(r.folder ? { folder: r.folder } : {}),
      ...(r.folder && pair ? { excludeGlobs: excludeGlobs(pair.excludes), deletion: pair.deletion } : {}),
    });
  }

  /** A testConnection request's folder as it is meant: "~" is the home directory. */
  #withHomeFolder(request: unknown): unknown {
    const r = request as { folder?: unknown } | null;
    if (typeof r?.folder !== 'string') return request;
    return { ...r, folder: expandHome(r.folder, this.#options.home ?? os.homedir()) };
  }
}

/** A pair that is not saved yet as the UI shows it (nothing stored, so no password either). */
function previewView(pair: PairConfig): PairView {
  return { ...pair, targets: pair.targets.map((target) => toTargetView(target, false)) };
}

/** Runs a call and wraps the outcome in the transport envelope; unexpected errors become "internal". */
export async function callService(
  service: AppService,
  method: unknown,
  request: unknown,
): Promise<ApiResult<unknown>> {
  try {
    return { ok: true, value: await service.handle(method, request) };
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.toPayload() };
    return { ok: false, error: { kind: 'internal', message: (error as Error).message } };
  }
}
