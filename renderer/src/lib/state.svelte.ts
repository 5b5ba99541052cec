// The renderer's one app state (immich style: private $state fields, getters, one shared instance): the
// engine state, the configured pairs, recent activity, the failures derived from them and the app settings.
// Loads everything on start and on every reconnect, then follows the push events. Actions go straight to the
// transport.
import type {
  ApiEvents,
  ApiRequest,
  ApiResponses,
  AppSettings,
  ConnectionTestResult,
  PairInput,
  PairView,
  SersyncImportResult,
  SettingsChange,
} from '../../../electron/shared/api.ts';
import type {
  BatchSummary,
  DeleteGuardState,
  EngineState,
  PairState,
  SyncError,
  TargetState,
  ExistingDataState,
} from '../../../electron/shared/state.ts';
import { mergeActivity } from './activity.ts';
import { guardError } from './delete-guard.ts';
import type { ConnectionStatus, Transport } from './transport/index.ts';

export interface Failure {
  pairId: string;
  pairName: string;
  folder: string;
  /** null: the folder or its watcher failed (or, with `guard`, the delete guard holds deletions), not a target. */
  targetId: string | null;
  url: string | null;
  error: SyncError;
  /** Set when this entry is the pair's tripped delete guard (deletions held until the user confirms). */
  guard: DeleteGuardState | null;
  /** Set when a new pair's first sync found data on this target and waits for the user's choice. */
  existing?: ExistingDataState | null;
}

export class AppState {
  readonly #client: Transport;
  #engine = $state<EngineState>({ version: 1, pairs: [] });
  #pairs = $state<PairView[]>([]);
  #activity = $state<BatchSummary[]>([]);
  /** null until loaded. */
  #settings = $state<AppSettings | null>(null);
  /** Why the settings could not be read (they never block the rest of the window). */
  #settingsError = $state<string | null>(null);
  #connection = $state<ConnectionStatus>('connecting');
  #loaded = $state(false);
  #loadError = $state<string | null>(null);
  #focusedPairId = $state<string | null>(null);
  /** Restores running now, by "pairId/targetId": their latest progress. */
  #restoring = $state<Record<string, ApiEvents['restoreProgress']>>({});
  #loading: Promise<void> | null = null;
  /** Counts state events, so a slower HTTP answer never overwrites a newer pushed state. */
  #stateSeq = 0;

  #failures = $derived.by(() => {
    const failures: Failure[] = [];
    for (const pair of this.#engine.pairs) {
      const base = { pairId: pair.id, pairName: pair.name, folder: pair.folder, guard: null };
      // A tripped guard comes first: the backup is safe but waits for the user.
      if (pair.deleteGuard) {
        const guard = pair.deleteGuard;
        failures.push({ ...base, targetId: null, url: null, error: guardError(guard), guard });
      }
      if (pair.watcher.error)
        failures.push({ ...base, targetId: null, url: null, error: pair.watcher.error });
      for (const target of pair.targets) {
        if (target.error)
          failures.push({
            ...base,
            targetId: target.id,
            url: target.url,
            error: target.error,
            existing: target.existing,
          });
      }
    }
    return failures;
  });

  constructor(client: Transport) {
    this.#client = client;
  }

  get kind(): Transport['kind'] {
    return this.#client.kind;
  }
  get engine(): EngineState {
    return this.#engine;
  }
  get pairs(): PairView[] {
    return this.#pairs;
  }
  get activity(): BatchSummary[] {
    return this.#activity;
  }
  get settings(): AppSettings | null {
    return this.#settings;
  }
  get settingsError(): string | null {
    return this.#settingsError;
  }
  get failures(): Failure[] {
    return this.#failures;
  }
  get connection(): ConnectionStatus {
    return this.#connection;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get loadError(): string | null {
    return this.#loadError;
  }
  get focusedPairId(): string | null {
    return this.#focusedPairId;
  }

  /** The progress of the restore from this target, while one runs. */
  restoring(pairId: string, targetId: string): ApiEvents['restoreProgress'] | undefined {
    return this.#restoring[`${pairId}/${targetId}`];
  }

  pairState(pairId: string): PairState | undefined {
    return this.#engine.pairs.find((pair) => pair.id === pairId);
  }

  targetState(pairId: string, targetId: string): TargetState | undefined {
    return this.pairState(pairId)?.targets.find((target) => target.id === targetId);
  }

  /** Subscribes to events and loads everything; returns the unsubscribe function. */
  start(): () => void {
    const offs = [
      this.#client.on('state', (state) => this.#applyState(state)),
      this.#client.on('batch', (batch) => {
        this.#activity = mergeActivity([batch], this.#activity);
      }),
      this.#client.on('progress', ({ pairId, targetId, ...progress }) => {
        const target = this.targetState(pairId, targetId);
        if (target) target.current = progress;
      }),
      this.#client.on('restoreProgress', (progress) => {
        this.#restoring[`${progress.pairId}/${progress.targetId}`] = progress;
      }),
      this.#client.on('restoreEnd', ({ pairId, targetId }) => {
        delete this.#restoring[`${pairId}/${targetId}`];
      }),
      this.#client.on('settings', (settings) => {
        this.#settings = settings;
        this.#settingsError = null;
      }),
      this.#client.on('focusPair', ({ pairId }) => {
        this.#focusedPairId = pairId;
      }),
      this.#client.onStatus((status) => {
        const opened = status === 'open' && this.#connection !== 'open';
        this.#connection = status;
        // Events may have been missed while the socket was down: reload everything.
        if (opened) void this.refresh();
      }),
    ];
    // Calls go over HTTP, so load now even if the event socket is slow or blocked.
    if (this.#connection !== 'unauthorized' && !this.#loaded) void this.refresh();
    return () => offs.forEach((off) => off());
  }

  /** Reloads state, pairs, activity and settings; concurrent calls share one load. */
  refresh(): Promise<void> {
    this.#loading ??= this.#load().finally(() => (this.#loading = null));
    return this.#loading;
  }

  async #load(): Promise<void> {
    const stateSeq = this.#stateSeq;
    try {
      const [state, pairs, activity] = await Promise.all([
        this.#client.call('getState'),
        this.#client.call('listPairs'),
        this.#client.call('getActivity'),
        this.refreshSettings().catch(() => undefined),
      ]);
      // A state event that arrived while these calls ran is newer than their answer: keep it.
      if (this.#stateSeq === stateSeq) this.#engine = state;
      this.#pairs = pairs;
      this.#activity = mergeActivity(activity, this.#activity);
      this.#loaded = true;
      this.#loadError = null;
    } catch (error) {
      this.#loadError = (error as Error).message;
    }
  }

  #applyState(state: EngineState): void {
    this.#stateSeq++;
    const ids = (s: EngineState): string => s.pairs.map((pair) => pair.id).join('\n');
    const changed = ids(state) !== ids(this.#engine);
    this.#engine = state;
    // A pair was added or removed (here, in another window or from the tray): reload the configured list.
    if (changed && this.#loaded) void this.refreshPairs().catch(() => undefined);
  }

  async refreshPairs(): Promise<void> {
    this.#pairs = await this.#client.call('listPairs');
  }

  clearFocus(): void {
    this.#focusedPairId = null;
  }

  async savePair(input: PairInput): Promise<PairView> {
    const saved = await this.#client.call('savePair', { pair: input });
    await this.refreshPairs();
    return saved;
  }

  /** Maps a sersync confxml.xml: a preview, or with `apply` saves every folder (then the list is reloaded). */
  async importSersync(request: ApiRequest<'importSersync'>): Promise<SersyncImportResult> {
    const result = await this.#client.call('importSersync', request);
    if (result.applied) await this.refreshPairs();
    return result;
  }

  async removePair(pairId: string): Promise<void> {
    await this.#client.call('removePair', { pairId });
    this.#pairs = this.#pairs.filter((pair) => pair.id !== pairId);
  }

  async testConnection(request: ApiRequest<'testConnection'>): Promise<ConnectionTestResult> {
    return this.#client.call('testConnection', request);
  }

  async syncNow(pairId: string): Promise<void> {
    await this.#client.call('syncNow', { pairId });
  }

  async retryNow(pairId: string, targetId?: string): Promise<void> {
    await this.#client.call('retryNow', targetId === undefined ? { pairId } : { pairId, targetId });
  }

  async pause(pairId: string): Promise<void> {
    await this.#client.call('pause', { pairId });
  }

  async resume(pairId: string): Promise<void> {
    await this.#client.call('resume', { pairId });
  }

  /**
   * Releases the deletions the pair's delete guard holds back (the user confirmed them); on a new pair, also
   * deletes the data its first sync found on the targets (mirror).
   */
  async confirmDeletions(pairId: string): Promise<void> {
    await this.#client.call('confirmDeletions', { pairId });
  }

  /** Keeps the data a new pair's first sync found on a target (merge). */
  async keepExisting(pairId: string, targetId?: string): Promise<void> {
    await this.#client.call('keepExisting', targetId === undefined ? { pairId } : { pairId, targetId });
  }

  async refreshSettings(): Promise<void> {
    try {
      this.#settings = await this.#client.call('getSettings');
      this.#settingsError = null;
    } catch (error) {
      this.#settingsError = (error as Error).message;
      throw error;
    }
  }

  /** Changes settings; the answer is what the app applied (e.g. autostart as read back from disk). */
  async setSettings(change: SettingsChange): Promise<AppSettings> {
    const settings = await this.#client.call('setSettings', change);
    this.#settings = settings;
    this.#settingsError = null;
    return settings;
  }

  /** Browse backup (issue 16): one directory of a target, compared with the folder. */
  async browse(request: ApiRequest<'browse'>): Promise<ApiResponses['browse']> {
    return this.#client.call('browse', request);
  }

  async searchBackup(request: ApiRequest<'searchBackup'>): Promise<ApiResponses['searchBackup']> {
    return this.#client.call('searchBackup', request);
  }

  async versions(request: ApiRequest<'versions'>): Promise<ApiResponses['versions']> {
    return this.#client.call('versions', request);
  }

  /** Restores paths from a target; resolves when the restore has ended (progress comes as events). */
  async restore(request: ApiRequest<'restore'>): Promise<ApiResponses['restore']> {
    return this.#client.call('restore', request);
  }

  async pickFolder(): Promise<string | null> {
    return (await this.#client.call('pickFolder')).folder;
  }
}
