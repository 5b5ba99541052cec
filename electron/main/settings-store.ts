// The desktop app's PairStore and SettingsHooks over one settings file (electron-store: JSON schema checked on
// every read and write, versioned migrations, mode 0600). Pairs are validated against the shared pair schema
// on load and save; the autostart setting is applied to (and read back from) the XDG autostart entry. The
// electron-store construction is the one thin, untested-here function at the bottom; everything else works
// on any conf-like backend, so unit tests use plain `conf` with the same options.
import type { SettingsHooks } from '../service/app-service.js';
import type { PairStore } from '../service/stores.js';
import { ApiError, type AppSettings } from '../shared/api.js';
import type { PairConfig } from '../shared/config.js';
import type { SecretBacking } from './secret-store.js';
import { normalizeSettings, parseStoredPairs, storeOptions, type StoreData } from './settings-schema.js';

/** The part of electron-store / conf this module uses. */
export interface StoreBackend {
  readonly path: string;
  get<K extends keyof StoreData>(key: K): StoreData[K];
  set<K extends keyof StoreData>(key: K, value: StoreData[K]): void;
}

export interface AutostartControl {
  isEnabled(): Promise<boolean>;
  set(enabled: boolean): Promise<void>;
}

export interface SettingsStoreOptions {
  /** Applies settings.autostart; without it the flag is only stored. */
  autostart?: AutostartControl;
  /** Called after each successful change (the notification policy listens). */
  onChange?: (settings: AppSettings) => void;
}

export class SettingsStore implements PairStore, SettingsHooks {
  readonly backend: StoreBackend;
  readonly #options: SettingsStoreOptions;

  constructor(backend: StoreBackend, options: SettingsStoreOptions = {}) {
    this.backend = backend;
    this.#options = options;
  }

  async load(): Promise<PairConfig[]> {
    return parseStoredPairs(this.backend.get('pairs'), `settings file ${this.backend.path}`);
  }

  async save(pairs: PairConfig[]): Promise<void> {
    this.backend.set('pairs', parseStoredPairs(pairs, 'pairs to save'));
  }

  /** The stored settings; autostart is read from the autostart entry itself (the user may remove it). */
  async get(): Promise<AppSettings> {
    const stored = normalizeSettings(this.backend.get('settings'));
    const autostart = this.#options.autostart ? await this.#options.autostart.isEnabled() : stored.autostart;
    return { ...stored, autostart };
  }

  async set(change: Partial<AppSettings>): Promise<AppSettings> {
    const stored = normalizeSettings(this.backend.get('settings'));
    const next: AppSettings = {
      autostart: change.autostart ?? stored.autostart,
      notifications: change.notifications ?? stored.notifications,
    };
    if (change.autostart !== undefined && this.#options.autostart) {
      try {
        await this.#options.autostart.set(change.autostart);
      } catch (error) {
        throw new ApiError(
          'unavailable',
          `could not ${change.autostart ? 'create' : 'remove'} the autostart entry: ${(error as Error).message}`,
        );
      }
    }
    this.backend.set('settings', next);
    const settings = await this.get();
    this.#options.onChange?.(settings);
    return settings;
  }

  /** The `secrets` key as the key-value backing of the safeStorage secret store (base64 ciphertext only). */
  secretsBacking(): SecretBacking {
    return {
      read: () => ({ ...this.backend.get('secrets') }),
      write: (all) => this.backend.set('secrets', all),
    };
  }
}

/**
 * Opens the settings file in Electron's userData folder (`settings.json`). Imported lazily so this module
 * loads without Electron. Throws "Config schema violation: …" or a migration error for a broken file; the
 * caller reports it and leaves the file alone.
 */
export async function openElectronSettingsStore(options: SettingsStoreOptions = {}): Promise<SettingsStore> {
  const { default: ElectronStore } = await import('electron-store');
  const store = new ElectronStore<StoreData>({ ...storeOptions(), name: 'settings' });
  return new SettingsStore(store, options);
}
