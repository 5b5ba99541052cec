// The app behind the UI, free of any transport: validates each API request against the shared contract,
// keeps pairs and secrets in their stores, drives the engine, and pushes state and activity events. Electron
// IPC and the headless HTTP/WebSocket server both call `handle` and forward `events`.
import { EventEmitter } from 'node:events';
import { pairSchema, formatIssues, type PairConfig } from '../shared/config.js';
import {
  ApiError,
  apiRequests,
  isApiMethod,
  pairInputSchema,
  type ApiEvents,
  type ApiMethod,
  type ApiResponses,
  type ApiResult,
  type AppSettings,
  type EditableSettings,
  type PairView,
  type SettingsChange,
} from '../shared/api.js';
import type { BatchSummary } from '../shared/state.js';
import { Engine, findOverlap, type EnginePairConfig } from '../engine/index.js';
import { targetId } from '../engine/pair.js';
import { testConnection } from '../engine/connection-test.js';
import { planSersyncImport, uniquePairIds } from './sersync-import.js';
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

export class AppService {
  readonly events = new EventEmitter<EventTuples>();
  readonly #options: AppServiceOptions;
  readonly #engine: Engine;
  readonly #settings: SettingsHooks;
  #pairs: PairConfig[] = [];
  readonly #activity: BatchSummary[] = [];
  #stateTimer: NodeJS.Timeout | null = null;

  constructor(options: AppServiceOptions) {
    this.#options = options;
    this.#engine = options.engine;
    this.#settings = options.settings ?? headlessSettings(options.secrets);
    this.events.setMaxListeners(100);
    const engine = this.#engine;
    engine.on('state', () => this.#scheduleState());
    engine.on('batch-end', (summary) => {
      this.#activity.unshift(summary);
      this.#activity.length = Math.min(this.#activity.length, ACTIVITY_LIMIT);
      this.events.emit('batch', summary);
    });
    engine.on('progress', ({ runId: _runId, ...progress }) => this.events.emit('progress', progress));
    engine.on('failure', (info) => this.events.emit('failure', info));
    engine.on('recovered', (info) => this.events.emit('recovered', info));
  }

  get engine(): Engine {
    return this.#engine;
  }

  /** Loads the stored pairs and starts them. A broken pair shows its error; the others start. */
  async start(options: { confirmDeletions?: boolean; keepExisting?: boolean } = {}): Promise<void> {
    this.#pairs = await this.#options.pairs.load();
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
      pair.targets.map(async (target, index) => {
        const password = await this.#options.secrets.get(secretKey(pair.id, targetId(target, index)));
        return password === null ? target : { ...target, password };
      }),
    );
    return { ...pair, targets };
  }

  async #view(pair: PairConfig): Promise<PairView> {
    const targets = await Promise.all(
      pair.targets.map(async (target, index) => {
        const id = targetId(target, index);
        return {
          id,
          url: target.url,
          ...(target.passwordFile ? { passwordFile: target.passwordFile } : {}),
          hasPassword: (await this.#options.secrets.get(secretKey(pair.id, id))) !== null,
          concurrency: target.concurrency,
          ...(target.rsync ? { rsync: target.rsync } : {}),
        };
      }),
    );
    return { ...pair, targets };
  }

  /** Validates and runs one API call. Throws ApiError with a kind the UI can explain. */
  async handle(method: unknown, request: unknown): Promise<unknown> {
    if (!isApiMethod(method))
      throw new ApiError('invalid-request', `unknown method ${JSON.stringify(method)}`);
    const parsed = apiRequests[method].safeParse(request ?? {});
    if (!parsed.success)
      throw new ApiError('invalid-request', `invalid ${method} request:\n${formatIssues(parsed.error)}`);
    return this.#dispatch(method, parsed.data);
  }

  async #dispatch<M extends ApiMethod>(method: M, request: unknown): Promise<ApiResponses[M]> {
    const r = request as Record<string, unknown>;
    const ids = (): [string | undefined, string | undefined] => [
      r.pairId as string | undefined,
      r.targetId as string | undefined,
    ];
    const ok = { ok: true as const };
    switch (method) {
      case 'getState':
        return this.#engine.state() as ApiResponses[M];
      case 'listPairs':
        return (await Promise.all(this.#pairs.map((pair) => this.#view(pair)))) as ApiResponses[M];
      case 'savePair':
        return (await this.#savePair(r.pair)) as ApiResponses[M];
      case 'removePair':
        return (await this.#removePair(r.pairId as string)) as ApiResponses[M];
      case 'testConnection':
        return (await this.#testConnection(r)) as ApiResponses[M];
      case 'syncNow':
        this.#engine.fullSync(...ids());
        return ok as ApiResponses[M];
      case 'retryNow':
        this.#engine.retryNow(...ids());
        return ok as ApiResponses[M];
      case 'pause':
        this.#engine.pause(r.pairId as string | undefined);
        return ok as ApiResponses[M];
      case 'resume':
        this.#engine.resume(r.pairId as string | undefined);
        return ok as ApiResponses[M];
      case 'confirmDeletions':
        return (await this.#confirmDeletions(r.pairId as string)) as ApiResponses[M];
      case 'keepExisting':
        return (await this.#keepExisting(
          r.pairId as string,
          r.targetId as string | undefined,
        )) as ApiResponses[M];
      case 'importSersync':
        return (await this.#importSersync(r)) as ApiResponses[M];
      case 'getActivity':
        return [...this.#activity] as ApiResponses[M];
      case 'pickFolder':
        return {
          folder: this.#options.pickFolder ? await this.#options.pickFolder() : null,
        } as ApiResponses[M];
      case 'getSettings':
        return (await this.#settings.get()) as ApiResponses[M];
      case 'setSettings': {
        const settings = await this.#settings.set(r as SettingsChange);
        this.events.emit('settings', settings);
        return settings as ApiResponses[M];
      }
    }
    throw new ApiError('invalid-request', `unknown method ${String(method)}`);
  }

  async #savePair(input: unknown): Promise<PairView> {
    const parsed = pairInputSchema.parse(input);
    const targets = parsed.targets.map((target, index) => ({ ...target, id: targetId(target, index) }));
    const { targets: _dropped, ...rest } = parsed;
    const pair = pairSchema.parse({ ...rest, targets: targets.map(({ password: _p, ...target }) => target) });
    for (const target of targets) {
      const key = secretKey(pair.id, target.id);
      if (target.password === '') await this.#options.secrets.delete(key);
      else if (target.password !== undefined) await this.#options.secrets.set(key, target.password);
    }
    const overlap = findOverlap(pair, this.#pairs);
    if (overlap) throw new ApiError('bad-config', overlap);
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
    for (const [index, target] of pair.targets.entries())
      await this.#options.secrets.delete(secretKey(pairId, targetId(target, index)));
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
  async #importSersync(r: Record<string, unknown>): Promise<ApiResponses['importSersync']> {
    const plan = planSersyncImport(r.xml as string, r.fileName as string | undefined, this.#pairs);
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
    if (r.apply !== true) return { ...answer, pairs: plan.pairs.map(previewView), applied: false };
    if (overlaps.length > 0) throw new ApiError('bad-config', overlaps.join('\n'));
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

  async #testConnection(r: Record<string, unknown>): Promise<ApiResponses['testConnection']> {
    let password = (r.password as string | undefined) ?? null;
    if (password === null && typeof r.pairId === 'string' && typeof r.targetId === 'string') {
      password = await this.#options.secrets.get(secretKey(r.pairId, r.targetId));
    }
    // An existing target is tested with its pair's rsync options, so the test sends what its syncs send.
    const pair = typeof r.pairId === 'string' ? this.#pairs.find((p) => p.id === r.pairId) : undefined;
    const target = pair?.targets.find((t, i) => targetId(t, i) === r.targetId);
    const rsync = pair ? { ...pair.rsync, ...target?.rsync } : undefined;
    return testConnection({
      url: r.url as string,
      password,
      passwordFile: (r.passwordFile as string | undefined) ?? null,
      ...(this.#options.rsync ? { rsync: this.#options.rsync } : {}),
      ...(rsync ? { options: rsync } : {}),
    });
  }
}

/** A pair that is not saved yet as the UI shows it (nothing stored, so no password either). */
function previewView(pair: PairConfig): PairView {
  return {
    ...pair,
    targets: pair.targets.map((target, index) => ({
      id: targetId(target, index),
      url: target.url,
      ...(target.passwordFile ? { passwordFile: target.passwordFile } : {}),
      hasPassword: false,
      concurrency: target.concurrency,
      ...(target.rsync ? { rsync: target.rsync } : {}),
    })),
  };
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
    if (error instanceof ApiError) return { ok: false, error: { kind: error.kind, message: error.message } };
    return { ok: false, error: { kind: 'internal', message: (error as Error).message } };
  }
}
