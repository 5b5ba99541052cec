// Daemon passwords for the desktop app: a SecretStore over an injected object shaped like Electron's
// safeStorage and a key-value backing (the settings file's `secrets` key). Only base64 ciphertext is ever
// written. When the OS keyring is unavailable (or Electron fell back to its fixed-key "basic_text" backend,
// which is obfuscation, not encryption) passwords are kept in memory for this session only, nothing is
// written, and `persisted` reports false so the UI can warn. No electron import: tests pass a fake.

import type { SecretStore, SecretStoreStatus } from '../service/stores.js';

export type { SecretStoreStatus };

/** The subset of Electron's safeStorage this store needs. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron; "basic_text" means a hard-coded key. */
  getSelectedStorageBackend?(): string;
}

/** Where ciphertext lives: secretKey → base64. */
export interface SecretBacking {
  read(): Record<string, string>;
  write(all: Record<string, string>): void;
}

export interface SafeSecretStoreOptions {
  safeStorage: SafeStorageLike;
  backing: SecretBacking;
  /** Called once, the first time a password is kept in memory only. */
  onMemoryOnly?: (status: SecretStoreStatus) => void;
}

export class SafeSecretStore implements SecretStore {
  readonly #safe: SafeStorageLike;
  readonly #backing: SecretBacking;
  readonly #onMemoryOnly: ((status: SecretStoreStatus) => void) | undefined;
  /** Session-only passwords (encryption unavailable when they were set). They win over stored ciphertext. */
  readonly #memory = new Map<string, string>();
  #warned = false;

  constructor(options: SafeSecretStoreOptions) {
    this.#safe = options.safeStorage;
    this.#backing = options.backing;
    this.#onMemoryOnly = options.onMemoryOnly;
  }

  status(): SecretStoreStatus {
    let backend: string | undefined;
    try {
      backend = this.#safe.getSelectedStorageBackend?.();
    } catch {
      backend = undefined;
    }
    if (backend === 'basic_text') {
      return {
        secretsPersisted: false,
        reason:
          'no system keyring was found (Electron would use its fixed "basic_text" key), so passwords are kept in memory until you quit; install and unlock GNOME Keyring or KWallet to save them',
      };
    }
    if (!this.#safe.isEncryptionAvailable()) {
      return {
        secretsPersisted: false,
        reason:
          'the system keyring is not available, so passwords are kept in memory until you quit; unlock or install GNOME Keyring or KWallet to save them',
      };
    }
    return { secretsPersisted: true, reason: null };
  }

  get persisted(): boolean {
    return this.status().secretsPersisted;
  }

  /** How many passwords exist only in memory. */
  get memoryOnly(): number {
    return this.#memory.size;
  }

  async get(key: string): Promise<string | null> {
    const session = this.#memory.get(key);
    if (session !== undefined) return session;
    const stored = this.#backing.read()[key];
    if (stored === undefined || !this.persisted) return null;
    try {
      return this.#safe.decryptString(Buffer.from(stored, 'base64'));
    } catch {
      // Encrypted with another key (keyring reset, another user): the user must enter it again.
      return null;
    }
  }

  async set(key: string, value: string): Promise<void> {
    const status = this.status();
    if (status.secretsPersisted) {
      const ciphertext = this.#safe.encryptString(value).toString('base64');
      this.#write(key, ciphertext);
      this.#memory.delete(key);
      return;
    }
    this.#memory.set(key, value);
    // A stale ciphertext for this key would come back after a restart: remove it (removing writes no secret).
    this.#write(key, null);
    if (!this.#warned) {
      this.#warned = true;
      this.#onMemoryOnly?.(status);
    }
  }

  async delete(key: string): Promise<void> {
    this.#memory.delete(key);
    this.#write(key, null);
  }

  #write(key: string, ciphertext: string | null): void {
    const all = this.#backing.read();
    if (ciphertext === null) {
      if (!(key in all)) return;
      delete all[key];
    } else {
      all[key] = ciphertext;
    }
    this.#backing.write(all);
  }
}
