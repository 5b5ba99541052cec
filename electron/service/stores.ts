// Where the app keeps pairs, secrets and settings. Interfaces first (the desktop app implements them with
// electron-store and safeStorage), then the plain-file versions used by headless mode and tests: the pairs file
// is the same JSON as `rsync-live run --config`, the secrets file is 0600.
import fs from 'node:fs/promises';
import { CONFIG_VERSION, defaultTargetId, type PairConfig } from '../shared/config.js';
import { loadConfigFile, parseConfig } from '../engine/config-file.js';
import { splitUrlPassword } from '../shared/url-password.js';
import { writeFileAtomic } from '../engine/atomic-file.js';

export { writeFileAtomic };

export interface PairStore {
  load(): Promise<PairConfig[]>;
  save(pairs: PairConfig[]): Promise<void>;
  /**
   * Passwords the last load found typed into target URLs (files saved before they were refused), keyed by
   * secretKey, and taken out of the loaded pairs: the app moves them into the secret store and saves again.
   */
  takeUrlPasswords?(): Map<string, string>;
}

/** Whether a secret store keeps passwords across restarts (the window warns when it does not). */
export interface SecretStoreStatus {
  /** Passwords saved now survive a restart. */
  secretsPersisted: boolean;
  /** Why not, for the UI and the log; null when they are saved. */
  reason: string | null;
}

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Omitted: the store persists its secrets. */
  status?(): SecretStoreStatus;
}

export function secretKey(pairId: string, targetId: string): string {
  return `${pairId}/${targetId}`;
}

export class JsonPairStore implements PairStore {
  #urlPasswords = new Map<string, string>();

  constructor(readonly file: string) {}

  async load(): Promise<PairConfig[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return (await loadConfigFile(this.file)).pairs; // its message names the JSON error
    }
    this.#urlPasswords = takeUrlPasswords((value as { pairs?: unknown } | null)?.pairs);
    return parseConfig(value, this.file).pairs;
  }

  takeUrlPasswords(): Map<string, string> {
    const found = this.#urlPasswords;
    this.#urlPasswords = new Map();
    return found;
  }

  async save(pairs: PairConfig[]): Promise<void> {
    await writeFileAtomic(
      this.file,
      `${JSON.stringify({ version: CONFIG_VERSION, pairs }, null, 2)}\n`,
      0o600,
    );
  }
}

/**
 * Moves passwords typed into target URLs out of raw stored pairs (in place), keyed like the secret store: for
 * files saved before such URLs were refused (JsonPairStore here, the desktop's SettingsStore).
 */
export function takeUrlPasswords(pairs: unknown): Map<string, string> {
  const found = new Map<string, string>();
  if (!Array.isArray(pairs)) return found;
  for (const pair of pairs as { id?: unknown; targets?: unknown }[]) {
    if (typeof pair?.id !== 'string' || !Array.isArray(pair.targets)) continue;
    for (const [index, target] of (pair.targets as { id?: unknown; url?: unknown }[]).entries()) {
      if (typeof target?.url !== 'string') continue;
      const { url, password } = splitUrlPassword(target.url);
      if (password === null) continue;
      target.url = url;
      found.set(
        secretKey(pair.id, typeof target.id === 'string' ? target.id : defaultTargetId(index)),
        password,
      );
    }
  }
  return found;
}

/** Secrets in a 0600 JSON file; refuses to read one that others can read. */
export class FileSecretStore implements SecretStore {
  constructor(readonly file: string) {}

  status(): SecretStoreStatus {
    return { secretsPersisted: true, reason: null };
  }

  async #read(): Promise<Record<string, string>> {
    let stat;
    try {
      stat = await fs.stat(this.file);
    } catch {
      return {};
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(
        `secrets file ${this.file} is readable by others (mode ${(stat.mode & 0o777).toString(8)}): run chmod 600 ${this.file}`,
      );
    }
    return JSON.parse(await fs.readFile(this.file, 'utf8')) as Record<string, string>;
  }

  async get(key: string): Promise<string | null> {
    return (await this.#read())[key] ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    const all = await this.#read();
    all[key] = value;
    await writeFileAtomic(this.file, JSON.stringify(all), 0o600);
  }

  async delete(key: string): Promise<void> {
    const all = await this.#read();
    if (!(key in all)) return;
    delete all[key];
    await writeFileAtomic(this.file, JSON.stringify(all), 0o600);
  }
}

/** Secrets kept in memory only (tests, or a session that must not persist passwords). */
export class MemorySecretStore implements SecretStore {
  readonly #values = new Map<string, string>();
  status(): SecretStoreStatus {
    return { secretsPersisted: false, reason: 'passwords are kept in memory until the app stops' };
  }
  async get(key: string): Promise<string | null> {
    return this.#values.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.#values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.#values.delete(key);
  }
}
