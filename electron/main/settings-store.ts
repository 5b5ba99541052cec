// The desktop app's PairStore and settings over one settings file (electron-store: JSON schema checked on every
// read and write, versioned migrations, mode 0600). Pairs are validated against the shared pair schema on load
// and save; the autostart setting is applied to (and read back from) the XDG autostart entry. `desktopSettings`
// adds the read-only facts (are passwords saved, can start at login be switched) and is what the AppService
// gets. The electron-store construction is the one thin, untested-here function at the bottom; everything else
// works on any conf-like backend, so unit tests use plain `conf` with the same options.
import type { SettingsHooks } from '../service/app-service.js';
import { takeUrlPasswords, type PairStore } from '../service/stores.js';
import { ApiError, type AppSettings, type EditableSettings, type SettingsChange } from '../shared/api.js';
import type { PairConfig } from '../shared/config.js';
import type { SecretBacking, SecretStoreStatus } from './secret-store.js';
import { normalizeSettings, parseStoredPairs, storeOptions, type StoreData } from './settings-schema.js';

/** The part of electron-store / conf this module uses. */
export interface StoreBackend {
  readonly path: string;
  get<K extends keyof StoreData>(key: K): StoreData[K];
  set<K extends keyof StoreData>(key: K, value: StoreData[K]): void;
}

export interface AutostartControl {
  /** The autostart entry's path, for error messages. */
  readonly file: string;
  isEnabled(): Promise<boolean>;
  set(enabled: boolean): Promise<void>;
}

export interface SettingsStoreOptions {
  /** Applies settings.autostart; without it the flag is only stored. */
  autostart?: AutostartControl;
  /** Called after each successful change (the notification policy and the tray listen). */
  onChange?: (settings: EditableSettings) => void;
}

/** An autostart failure as the UI shows it: what failed, the entry's path and the errno. */
function autostartError(action: string, file: string, error: unknown): ApiError {
  const { code, message } = error as NodeJS.ErrnoException;
  const errno = code && !message.startsWith(code) ? `${code}: ` : '';
  return new ApiError(
    'unavailable',
    `could not ${action} the start-at-login entry ${file}: ${errno}${message}`,
  );
}

export class SettingsStore implements PairStore {
  readonly backend: StoreBackend;
  readonly #options: SettingsStoreOptions;

  constructor(backend: StoreBackend, options: SettingsStoreOptions = {}) {
    this.backend = backend;
    this.#options = options;
  }

  #urlPasswords = new Map<string, string>();

  async load(): Promise<PairConfig[]> {
    const raw: unknown = structuredClone(this.backend.get('pairs'));
    this.#urlPasswords = takeUrlPasswords(raw);
    return parseStoredPairs(raw, `settings file ${this.backend.path}`);
  }

  /** Passwords the last load took out of target URLs (the app moves them into the keyring and saves). */
  takeUrlPasswords(): Map<string, string> {
    const found = this.#urlPasswords;
    this.#urlPasswords = new Map();
    return found;
  }

  async save(pairs: PairConfig[]): Promise<void> {
    this.backend.set('pairs', parseStoredPairs(pairs, 'pairs to save'));
  }

  /** The stored settings; autostart is read from the autostart entry itself (the user may remove it). */
  async get(): Promise<EditableSettings> {
    const stored = normalizeSettings(this.backend.get('settings'));
    const control = this.#options.autostart;
    if (!control) return stored;
    try {
      return { ...stored, autostart: await control.isEnabled() };
    } catch (error) {
      throw autostartError('read', control.file, error);
    }
  }

  /** Applies autostart first (nothing is stored when that fails), then stores; answers what is on disk now. */
  async set(change: SettingsChange): Promise<EditableSettings> {
    const stored = normalizeSettings(this.backend.get('settings'));
    const next: EditableSettings = {
      autostart: change.autostart ?? stored.autostart,
      notifications: change.notifications ?? stored.notifications,
    };
    const control = this.#options.autostart;
    if (change.autostart !== undefined && control) {
      try {
        await control.set(change.autostart);
      } catch (error) {
        throw autostartError(change.autostart ? 'create' : 'remove', control.file, error);
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

/** Start at login is an XDG autostart entry: the desktop app offers it on Linux only. */
export function autostartSupported(platform: NodeJS.Platform): boolean {
  return platform === 'linux';
}

export interface DesktopSettingsOptions {
  /** The stored settings (autostart applied to the autostart entry when supported). */
  store: Pick<SettingsStore, 'get' | 'set'>;
  /** The safeStorage secret store: are passwords saved, and why not. */
  secrets: { status(): SecretStoreStatus };
  /** process.platform. */
  platform: NodeJS.Platform;
}

/** The desktop app's SettingsHooks: the stored settings plus the read-only facts the window shows. */
export function desktopSettings(options: DesktopSettingsOptions): SettingsHooks {
  const supported = autostartSupported(options.platform);
  const view = (stored: EditableSettings): AppSettings => {
    const status = options.secrets.status();
    return {
      autostart: supported && stored.autostart,
      notifications: stored.notifications,
      secretsPersisted: status.secretsPersisted,
      secretsNote: status.secretsPersisted ? null : status.reason,
      autostartSupported: supported,
    };
  };
  return {
    get: async () => view(await options.store.get()),
    set: async (change) => {
      if (change.autostart === true && !supported) {
        throw new ApiError(
          'unavailable',
          `start at login is not available on ${options.platform}: it is an XDG autostart entry (Linux desktops)`,
        );
      }
      return view(await options.store.set(change));
    },
  };
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
