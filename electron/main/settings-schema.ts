// The desktop settings file, free of Electron: its shape (settings, pairs without passwords, encrypted
// secrets), the JSON schema electron-store/conf validates on every read and write, the defaults, the versioned
// migrations, and the zod checks that pairs match the shared pair schema. settings-store.ts hands these to
// electron-store; unit tests hand the same options to plain `conf`. Must not import electron.
import { z } from 'zod';
import type { Options, Schema } from 'conf';
import { formatIssues, pairSchema, type PairConfig } from '../shared/config.js';
import type { EditableSettings } from '../shared/api.js';

/** What the settings file holds (besides conf's own `__internal__` bookkeeping). */
export type StoreData = {
  /** Only what the user sets; the read-only AppSettings fields are worked out at run time. */
  settings: EditableSettings;
  /** The shared pair schema, never with a password. */
  pairs: PairConfig[];
  /** secretKey(pairId, targetId) → base64 of safeStorage ciphertext. Never clear text. */
  secrets: Record<string, string>;
};

export const DEFAULT_SETTINGS: EditableSettings = { autostart: false, notifications: true };

export function storeDefaults(): StoreData {
  return { settings: { ...DEFAULT_SETTINGS }, pairs: [], secrets: {} };
}

const BASE64 = '^[A-Za-z0-9+/]*={0,2}$';

/**
 * JSON schema per top-level key (conf validates the whole file with it). Pairs are checked shallowly here and
 * fully with zod on load and save; a target may never carry a `password` key.
 */
export const storeSchema: Schema<StoreData> = {
  settings: {
    type: 'object',
    properties: { autostart: { type: 'boolean' }, notifications: { type: 'boolean' } },
    required: ['autostart', 'notifications'],
    additionalProperties: false,
  },
  pairs: {
    type: 'array',
    items: {
      type: 'object',
      required: ['id', 'folder', 'targets'],
      properties: {
        id: { type: 'string', minLength: 1 },
        folder: { type: 'string', minLength: 1 },
        targets: {
          type: 'array',
          minItems: 1,
          items: { type: 'object', required: ['url'], not: { required: ['password'] } },
        },
      },
    },
  },
  secrets: {
    type: 'object',
    additionalProperties: { type: 'string', pattern: BASE64 },
  },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The part of conf a migration uses (structural, so tests can pass a plain object too). */
export interface MigrationStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** Keeps the known settings that have the right type, fills the rest with defaults. */
export function normalizeSettings(raw: unknown): EditableSettings {
  const source = isRecord(raw) ? raw : {};
  return {
    autostart: typeof source.autostart === 'boolean' ? source.autostart : DEFAULT_SETTINGS.autostart,
    notifications:
      typeof source.notifications === 'boolean' ? source.notifications : DEFAULT_SETTINGS.notifications,
  };
}

/** Drops every stored secret that is not base64 text (it cannot be ciphertext we wrote). */
export function normalizeSecrets(raw: unknown): Record<string, string> {
  const pattern = new RegExp(BASE64);
  const secrets: Record<string, string> = {};
  if (!isRecord(raw)) return secrets;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' && value.length > 0 && pattern.test(value)) secrets[key] = value;
  }
  return secrets;
}

/**
 * Removes any `password` a target carries (it never belongs in this file; the user re-enters it). Returns the
 * pairs and how many passwords were dropped.
 */
export function stripPasswords(raw: unknown): { pairs: unknown[]; dropped: number } {
  if (!Array.isArray(raw)) return { pairs: [], dropped: 0 };
  let dropped = 0;
  const pairs = raw.map((pair: unknown) => {
    if (!isRecord(pair) || !Array.isArray(pair.targets)) return pair;
    const targets = pair.targets.map((target: unknown) => {
      if (!isRecord(target) || !('password' in target)) return target;
      dropped++;
      const { password: _password, ...rest } = target;
      return rest;
    });
    return { ...pair, targets };
  });
  return { pairs, dropped };
}

/**
 * Versioned migrations, keyed by the app version that introduced them (conf runs each one whose version is
 * newer than the file's and not newer than the running app, in order, and records the version it reached).
 */
export const migrations = {
  /** The first release: whatever is there (an empty file, a hand edit) becomes the 0.1.0 shape. */
  '0.1.0': (store: MigrationStore) => {
    store.set('settings', normalizeSettings(store.get('settings')));
    store.set('pairs', stripPasswords(store.get('pairs')).pairs);
    store.set('secrets', normalizeSecrets(store.get('secrets')));
  },
} satisfies Record<string, (store: MigrationStore) => void>;

/** The latest version a migration exists for. */
export const STORE_SCHEMA_VERSION = '0.1.0';

/** The options electron-store (and, in tests, conf) is built with. */
export type StoreOptions = Pick<
  Options<StoreData>,
  | 'schema'
  | 'defaults'
  | 'migrations'
  | 'configFileMode'
  | 'accessPropertiesByDotNotation'
  | 'clearInvalidConfig'
>;

export function storeOptions(): StoreOptions {
  return {
    schema: storeSchema,
    defaults: storeDefaults(),
    migrations,
    /** Paths and ciphertext: readable by the user only. */
    configFileMode: 0o600,
    /** Secret keys contain "/" and ids may contain ".": never read keys as dot paths. */
    accessPropertiesByDotNotation: false,
    /** A broken file is reported, never silently replaced. */
    clearInvalidConfig: false,
  };
}

export class StoredPairsError extends Error {}

const storedPairsSchema = z.array(pairSchema);

/** Validates pairs read from, or about to be written to, the settings file against the shared pair schema. */
export function parseStoredPairs(raw: unknown, where = 'settings file'): PairConfig[] {
  const parsed = storedPairsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StoredPairsError(`the pairs in the ${where} are not valid:\n${formatIssues(parsed.error)}`);
  }
  const ids = new Set<string>();
  for (const pair of parsed.data) {
    if (ids.has(pair.id)) throw new StoredPairsError(`the ${where} has two pairs with the id "${pair.id}"`);
    ids.add(pair.id);
  }
  return parsed.data;
}
