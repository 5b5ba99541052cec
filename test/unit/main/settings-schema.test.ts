// The settings file: the same options electron-store gets, run through plain `conf` in a temporary folder:
// defaults and the 0.1.0 migration, schema checks on write, pairs validated against the shared pair schema,
// and SettingsStore (PairStore + SettingsHooks) with autostart applied through setSettings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DELAY_MS } from '../../../electron/shared/timing.js';
import {
  DEFAULT_SETTINGS,
  STORE_SCHEMA_VERSION,
  StoredPairsError,
  migrations,
  normalizeSecrets,
  normalizeSettings,
  parseStoredPairs,
  storeOptions,
  stripPasswords,
  type StoreData,
} from '../../../electron/main/settings-schema.js';
import { SettingsStore, type AutostartControl } from '../../../electron/main/settings-store.js';
import { ApiError } from '../../../electron/shared/api.js';
import { pairSchema, type PairConfig } from '../../../electron/shared/config.js';

let dir: string;
const file = (): string => path.join(dir, 'settings.json');
const open = (projectVersion = '0.1.0'): Conf<StoreData> =>
  new Conf<StoreData>({ ...storeOptions(), cwd: dir, configName: 'settings', projectVersion });
const writeRaw = (data: unknown): void => fs.writeFileSync(file(), JSON.stringify(data));
const readRaw = (): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(file(), 'utf8')) as Record<string, unknown>;

const photos: PairConfig = pairSchema.parse({
  id: 'photos',
  name: 'Photos',
  folder: '/home/me/Photos',
  targets: [{ id: 't1', url: '10.0.0.5::photos' }],
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync-live-settings-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('settings file migrations', () => {
  it('a fresh file gets the defaults and records the migrated version', () => {
    const conf = open();
    expect(conf.get('settings')).toEqual({ autostart: false, notifications: true });
    expect(conf.get('pairs')).toEqual([]);
    expect(conf.get('secrets')).toEqual({});
    expect(readRaw()).toMatchObject({ __internal__: { migrations: { version: STORE_SCHEMA_VERSION } } });
  });

  it('0.1.0 repairs a hand-edited pre-release file: bad settings types, passwords in targets, clear-text secrets', () => {
    writeRaw({
      settings: { notifications: 'yes', autostart: true, theme: 'dark' },
      pairs: [{ id: 'photos', folder: '/home/me/Photos', targets: [{ url: 'h::m', password: 'hunter2' }] }],
      secrets: { 'photos/t1': 'hunter2 in clear text!', 'docs/t1': 'djExMA==' },
    });
    const conf = open();
    expect(conf.get('settings')).toEqual({ autostart: true, notifications: true });
    expect(conf.get('pairs')).toEqual([
      { id: 'photos', folder: '/home/me/Photos', targets: [{ url: 'h::m' }] },
    ]);
    expect(conf.get('secrets')).toEqual({ 'docs/t1': 'djExMA==' });
    expect(fs.readFileSync(file(), 'utf8')).not.toContain('hunter2');
  });

  it('runs only once: a file already at 0.1.0 is not migrated again', () => {
    open().set('settings', { autostart: true, notifications: false });
    const again = open();
    expect(again.get('settings')).toEqual({ autostart: true, notifications: false });
    expect(readRaw()).toMatchObject({ __internal__: { migrations: { version: '0.1.0' } } });
  });

  it('an older app version does not run the 0.1.0 migration (conf only runs versions up to the app)', () => {
    writeRaw({ settings: { autostart: 'no' } });
    // Without the migration the schema check rejects the bad setting instead of silently fixing it.
    expect(() => open('0.0.9')).toThrow(/Config schema violation/);
  });

  it('the migrations are keyed by valid semver versions, the latest being STORE_SCHEMA_VERSION', () => {
    const versions = Object.keys(migrations);
    expect(versions.every((version) => /^\d+\.\d+\.\d+$/.test(version))).toBe(true);
    expect(versions.at(-1)).toBe(STORE_SCHEMA_VERSION);
  });

  it('reports a file that is not JSON instead of replacing it', () => {
    fs.writeFileSync(file(), '{ not json');
    expect(() => open()).toThrow();
    expect(fs.readFileSync(file(), 'utf8')).toBe('{ not json');
  });
});

describe('schema checks on write', () => {
  it('refuses a target carrying a password', () => {
    const conf = open();
    const leaky = [
      { ...photos, targets: [{ ...photos.targets[0], password: 'hunter2' }] },
    ] as unknown as PairConfig[];
    expect(() => conf.set('pairs', leaky)).toThrow(/Config schema violation/);
    expect(fs.readFileSync(file(), 'utf8')).not.toContain('hunter2');
  });

  it('refuses non-base64 secrets and unknown or mistyped settings', () => {
    const conf = open();
    expect(() => conf.set('secrets', { 'photos/t1': 'clear text!' })).toThrow(/Config schema violation/);
    expect(() => conf.set('settings', { autostart: 'yes' } as unknown as StoreData['settings'])).toThrow(
      /Config schema violation/,
    );
    expect(() =>
      conf.set('settings', { ...DEFAULT_SETTINGS, extra: 1 } as unknown as StoreData['settings']),
    ).toThrow(/Config schema violation/);
  });

  it('writes the file readable by the user only', () => {
    open().set('settings', { autostart: false, notifications: false });
    expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
  });
});

describe('pure helpers', () => {
  it('normalizeSettings keeps booleans and defaults the rest', () => {
    expect(normalizeSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(normalizeSettings({ autostart: true, notifications: 0 })).toEqual({
      autostart: true,
      notifications: true,
    });
  });

  it('normalizeSecrets keeps base64 strings only', () => {
    expect(normalizeSecrets({ a: 'QUJD', b: 'not base64!', c: 3, d: '' })).toEqual({ a: 'QUJD' });
    expect(normalizeSecrets(['QUJD'])).toEqual({});
  });

  it('stripPasswords removes passwords and counts them', () => {
    const { pairs, dropped } = stripPasswords([
      { id: 'a', targets: [{ url: 'x', password: 'p' }, { url: 'y' }] },
      'junk',
    ]);
    expect(dropped).toBe(1);
    expect(pairs).toEqual([{ id: 'a', targets: [{ url: 'x' }, { url: 'y' }] }, 'junk']);
  });

  it('parseStoredPairs applies the shared schema and rejects duplicates and passwords', () => {
    expect(parseStoredPairs([{ id: 'p', folder: '/x', targets: [{ url: 'h::m' }] }])[0]).toMatchObject({
      deletion: 'mirror',
      delayMs: DEFAULT_DELAY_MS,
    });
    expect(() => parseStoredPairs([photos, photos])).toThrow(/two pairs with the id "photos"/);
    expect(() => parseStoredPairs([{ ...photos, targets: [{ url: 'h::m', password: 'p' }] }])).toThrow(
      StoredPairsError,
    );
    expect(() => parseStoredPairs([{ id: 'bad id!', folder: '/x', targets: [{ url: 'h::m' }] }])).toThrow(
      /\[0\]\.id/,
    );
  });
});

describe('SettingsStore', () => {
  class FakeAutostart implements AutostartControl {
    readonly file = '/home/me/.config/autostart/rsync-live.desktop';
    enabled = false;
    fail = false;
    async isEnabled(): Promise<boolean> {
      return this.enabled;
    }
    async set(enabled: boolean): Promise<void> {
      if (this.fail) throw new Error('read-only file system');
      this.enabled = enabled;
    }
  }

  it('saves and loads pairs through the file', async () => {
    const store = new SettingsStore(open());
    await store.save([photos]);
    expect(await new SettingsStore(open()).load()).toEqual([photos]);
  });

  it('refuses to save pairs that carry a password (EnginePairConfig leaking into the store)', async () => {
    const store = new SettingsStore(open());
    const leaky = [
      { ...photos, targets: [{ ...photos.targets[0], password: 'hunter2' }] },
    ] as unknown as PairConfig[];
    await expect(store.save(leaky)).rejects.toThrow(StoredPairsError);
    expect(fs.readFileSync(file(), 'utf8')).not.toContain('hunter2');
  });

  it('load reports an invalid stored pair with its path', async () => {
    writeRaw({ pairs: [{ id: 'p', folder: '/x', targets: [{ url: 'h::m', concurrency: 99 }] }] });
    await expect(new SettingsStore(open()).load()).rejects.toThrow(/\[0\]\.targets\[0\]\.concurrency/);
  });

  it('applies autostart through the hook, reads it back from there, and reports changes', async () => {
    const autostart = new FakeAutostart();
    const changes: unknown[] = [];
    const store = new SettingsStore(open(), { autostart, onChange: (settings) => changes.push(settings) });
    expect(await store.set({ autostart: true })).toEqual({ autostart: true, notifications: true });
    expect(autostart.enabled).toBe(true);
    autostart.enabled = false; // the user removed the entry by hand
    expect(await store.get()).toEqual({ autostart: false, notifications: true });
    expect(await store.set({ notifications: false })).toEqual({ autostart: false, notifications: false });
    expect(changes).toEqual([
      { autostart: true, notifications: true },
      { autostart: false, notifications: false },
    ]);
    expect(open().get('settings')).toEqual({ autostart: true, notifications: false });
  });

  it('a failing autostart change is an "unavailable" ApiError and changes nothing', async () => {
    const autostart = new FakeAutostart();
    autostart.fail = true;
    const store = new SettingsStore(open(), { autostart });
    const error = await store
      .set({ autostart: true, notifications: false })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe('unavailable');
    expect((error as ApiError).message).toContain('read-only file system');
    expect(open().get('settings')).toEqual(DEFAULT_SETTINGS);
  });

  it('without an autostart hook the flag is just stored', async () => {
    const store = new SettingsStore(open());
    await store.set({ autostart: true });
    expect(await store.get()).toEqual({ autostart: true, notifications: true });
  });
});
