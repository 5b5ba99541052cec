// The safeStorage secret store with a fake safeStorage: only base64 ciphertext is ever stored (also checked in
// the real settings file written by conf), and without a usable keyring passwords stay in memory only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SafeSecretStore,
  type SafeStorageLike,
  type SecretBacking,
} from '../../../electron/main/secret-store.js';
import { SettingsStore } from '../../../electron/main/settings-store.js';
import { storeOptions, type StoreData } from '../../../electron/main/settings-schema.js';
import { secretKey } from '../../../electron/service/stores.js';

const PASSWORD = 'hunter2-correct-horse';
const KEY = secretKey('photos', 't1');

/** XOR with a key byte plus a marker prefix: reversible, and its output never contains the input. */
class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend = 'gnome_libsecret';
  encrypted: string[] = [];
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  encryptString(plainText: string): Buffer {
    if (!this.available) throw new Error('encryption is not available');
    this.encrypted.push(plainText);
    const bytes = Buffer.from(plainText, 'utf8').map((byte) => byte ^ 0x5a);
    return Buffer.concat([Buffer.from('v11'), bytes]);
  }
  decryptString(encrypted: Buffer): string {
    if (!this.available) throw new Error('decryption is not available');
    if (encrypted.subarray(0, 3).toString() !== 'v11') throw new Error('not ours');
    return Buffer.from(encrypted.subarray(3).map((byte) => byte ^ 0x5a)).toString('utf8');
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

function memoryBacking(): SecretBacking & { data: Record<string, string>; writes: number } {
  const backing = {
    data: {} as Record<string, string>,
    writes: 0,
    read: () => ({ ...backing.data }),
    write: (all: Record<string, string>) => {
      backing.writes++;
      backing.data = { ...all };
    },
  };
  return backing;
}

describe('SafeSecretStore with encryption available', () => {
  it('stores base64 ciphertext only and reads the password back', async () => {
    const safe = new FakeSafeStorage();
    const backing = memoryBacking();
    const store = new SafeSecretStore({ safeStorage: safe, backing });
    await store.set(KEY, PASSWORD);
    const stored = backing.data[KEY] ?? '';
    expect(stored).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(stored).not.toContain(PASSWORD);
    expect(Buffer.from(stored, 'base64').toString('latin1')).not.toContain(PASSWORD);
    expect(safe.encrypted).toEqual([PASSWORD]);
    expect(await store.get(KEY)).toBe(PASSWORD);
    expect(store.persisted).toBe(true);
    expect(store.status()).toEqual({ secretsPersisted: true, reason: null });
  });

  it('a new store instance (next session) decrypts what the last one stored', async () => {
    const safe = new FakeSafeStorage();
    const backing = memoryBacking();
    await new SafeSecretStore({ safeStorage: safe, backing }).set(KEY, PASSWORD);
    expect(await new SafeSecretStore({ safeStorage: safe, backing }).get(KEY)).toBe(PASSWORD);
  });

  it('deletes, and returns null for unknown keys and undecryptable ciphertext', async () => {
    const safe = new FakeSafeStorage();
    const backing = memoryBacking();
    const store = new SafeSecretStore({ safeStorage: safe, backing });
    await store.set(KEY, PASSWORD);
    await store.delete(KEY);
    expect(backing.data).toEqual({});
    expect(await store.get(KEY)).toBeNull();
    backing.data[KEY] = Buffer.from('garbage').toString('base64');
    expect(await store.get(KEY)).toBeNull();
  });

  it('never writes clear text into the real settings file (conf with the app options)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync-live-secrets-'));
    try {
      const conf = new Conf<StoreData>({
        ...storeOptions(),
        cwd: dir,
        configName: 'settings',
        projectVersion: '0.1.0',
      });
      const settings = new SettingsStore(conf);
      const store = new SafeSecretStore({
        safeStorage: new FakeSafeStorage(),
        backing: settings.secretsBacking(),
      });
      await store.set(KEY, PASSWORD);
      await store.set(secretKey('docs.v2', 't1'), 'another secret');
      const text = fs.readFileSync(conf.path, 'utf8');
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('another secret');
      expect(Object.keys((JSON.parse(text) as StoreData).secrets)).toEqual(['photos/t1', 'docs.v2/t1']);
      expect(fs.statSync(conf.path).mode & 0o777).toBe(0o600);
      expect(await store.get(secretKey('docs.v2', 't1'))).toBe('another secret');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SettingsStore with a password saved in a target URL (before such URLs were refused)', () => {
  it('loads the pair without it and hands the password over for the keyring', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync-live-urlpw-'));
    try {
      const conf = new Conf<StoreData>({
        ...storeOptions(),
        cwd: dir,
        configName: 'settings',
        projectVersion: '0.1.0',
      });
      conf.set('pairs', [
        { id: 'docs', folder: '/home/ana/Documents', targets: [{ url: 'rsync://ana:s3cret@nas/m' }] },
      ] as unknown as StoreData['pairs']);
      const settings = new SettingsStore(conf);
      const pairs = await settings.load();
      expect(pairs[0]?.targets[0]).toMatchObject({ id: 't1', url: 'rsync://ana@nas/m' });
      expect(settings.takeUrlPasswords()).toEqual(new Map([['docs/t1', 's3cret']]));
      expect(settings.takeUrlPasswords().size).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SafeSecretStore without a usable keyring', () => {
  let safe: FakeSafeStorage;
  let backing: ReturnType<typeof memoryBacking>;
  let warnings: string[];
  let store: SafeSecretStore;

  beforeEach(() => {
    safe = new FakeSafeStorage();
    safe.available = false;
    backing = memoryBacking();
    warnings = [];
    store = new SafeSecretStore({
      safeStorage: safe,
      backing,
      onMemoryOnly: (status) => warnings.push(status.reason ?? ''),
    });
  });

  afterEach(() => {
    expect(JSON.stringify(backing.data)).not.toContain(PASSWORD);
  });

  it('keeps the password in memory for the session, writes nothing and reports secretsPersisted=false', async () => {
    await store.set(KEY, PASSWORD);
    expect(await store.get(KEY)).toBe(PASSWORD);
    expect(backing.writes).toBe(0);
    expect(store.persisted).toBe(false);
    expect(store.status().secretsPersisted).toBe(false);
    expect(store.memoryOnly).toBe(1);
    expect(safe.encrypted).toEqual([]);
  });

  it('warns once, however many passwords are kept in memory', async () => {
    await store.set(KEY, PASSWORD);
    await store.set(secretKey('docs', 't1'), 'x');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('kept in memory until you quit');
  });

  it('is gone in the next session', async () => {
    await store.set(KEY, PASSWORD);
    const next = new SafeSecretStore({ safeStorage: safe, backing });
    expect(await next.get(KEY)).toBeNull();
  });

  it('removes a stale ciphertext for the key, so an old password cannot come back after a restart', async () => {
    safe.available = true;
    await new SafeSecretStore({ safeStorage: safe, backing }).set(KEY, 'old password');
    expect(backing.data[KEY]).toBeDefined();
    safe.available = false;
    await store.set(KEY, PASSWORD);
    expect(backing.data[KEY]).toBeUndefined();
    expect(await store.get(KEY)).toBe(PASSWORD);
  });

  it('treats Electron\'s fixed-key "basic_text" backend as no encryption', async () => {
    safe.available = true;
    safe.backend = 'basic_text';
    await store.set(KEY, PASSWORD);
    expect(safe.encrypted).toEqual([]);
    expect(backing.writes).toBe(0);
    expect(store.status()).toMatchObject({ secretsPersisted: false });
    expect(store.status().reason).toContain('basic_text');
  });

  it('a session password wins over stored ciphertext once encryption is back', async () => {
    await store.set(KEY, PASSWORD);
    safe.available = true;
    expect(await store.get(KEY)).toBe(PASSWORD);
    await store.delete(KEY);
    expect(await store.get(KEY)).toBeNull();
    expect(store.memoryOnly).toBe(0);
  });
});
