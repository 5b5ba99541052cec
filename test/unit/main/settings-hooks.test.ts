// The settings the window sees: desktopSettings over the real settings file (conf, same options as
// electron-store), the real XDG autostart entry in a temporary XDG_CONFIG_HOME and the safeStorage secret store
// with a fake safeStorage; then headlessSettings (rsync-live serve), and the AppService contract around both:
// setSettings takes only the editable fields and announces every change with a `settings` event.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/engine/index.js';
import { Autostart, HIDDEN_ARG } from '../../../electron/main/autostart.js';
import { SafeSecretStore, type SafeStorageLike } from '../../../electron/main/secret-store.js';
import { storeOptions, type StoreData } from '../../../electron/main/settings-schema.js';
import { SettingsStore, autostartSupported, desktopSettings } from '../../../electron/main/settings-store.js';
import { AppService, headlessSettings, type SettingsHooks } from '../../../electron/service/app-service.js';
import { FileSecretStore, JsonPairStore, MemorySecretStore } from '../../../electron/service/stores.js';
import { ApiError, type AppSettings } from '../../../electron/shared/api.js';

class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend = 'gnome_libsecret';
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  encryptString(plainText: string): Buffer {
    return Buffer.from(Buffer.from(plainText, 'utf8').map((byte) => byte ^ 0x5a));
  }
  decryptString(encrypted: Buffer): string {
    return Buffer.from(encrypted.map((byte) => byte ^ 0x5a)).toString('utf8');
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

let dir: string;
let configHome: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync-live-settings-hooks-'));
  configHome = path.join(dir, 'xdg-config');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const openConf = (): Conf<StoreData> =>
  new Conf<StoreData>({ ...storeOptions(), cwd: dir, configName: 'settings', projectVersion: '0.1.0' });

/** The desktop wiring of main.ts, with Electron's pieces swapped for a temporary folder and a fake. */
function desktop(platform: NodeJS.Platform = 'linux'): {
  hooks: SettingsHooks;
  autostart: Autostart;
  safe: FakeSafeStorage;
  conf: Conf<StoreData>;
} {
  const autostart = new Autostart({
    exec: ['/opt/Rsync Live/rsync-live', HIDDEN_ARG],
    env: { XDG_CONFIG_HOME: configHome },
  });
  const conf = openConf();
  const store = new SettingsStore(conf, autostartSupported(platform) ? { autostart } : {});
  const safe = new FakeSafeStorage();
  const secrets = new SafeSecretStore({ safeStorage: safe, backing: store.secretsBacking() });
  return { hooks: desktopSettings({ store, secrets, platform }), autostart, safe, conf };
}

const errorOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

describe('desktopSettings (Electron main)', () => {
  it('on Linux with a keyring: passwords persist, start at login is offered and off by default', async () => {
    const { hooks } = desktop();
    expect(await hooks.get()).toEqual({
      autostart: false,
      notifications: true,
      secretsPersisted: true,
      secretsNote: null,
      autostartSupported: true,
    } satisfies AppSettings);
  });

  it('toggling autostart writes and removes the .desktop entry, and answers what is on disk', async () => {
    const { hooks, autostart, conf } = desktop();
    const on = await hooks.set({ autostart: true });
    expect(on).toMatchObject({ autostart: true, autostartSupported: true });
    expect(fs.readFileSync(autostart.file, 'utf8')).toMatch(
      /^Exec="\/opt\/Rsync Live\/rsync-live" --hidden$/m,
    );
    expect(autostart.file).toBe(path.join(configHome, 'autostart', 'rsync-live.desktop'));

    fs.rmSync(autostart.file); // removed in the desktop's startup settings: the setting reads off
    expect((await hooks.get()).autostart).toBe(false);
    expect(conf.get('settings').autostart).toBe(true); // only the stored flag still says on

    await hooks.set({ autostart: true });
    const off = await hooks.set({ autostart: false });
    expect(off.autostart).toBe(false);
    expect(fs.existsSync(autostart.file)).toBe(false);
  });

  it('an entry switched off by the desktop (Hidden=true) reads as off', async () => {
    const { hooks, autostart } = desktop();
    await hooks.set({ autostart: true });
    fs.writeFileSync(
      autostart.file,
      fs.readFileSync(autostart.file, 'utf8').replace('Hidden=false', 'Hidden=true'),
    );
    expect((await hooks.get()).autostart).toBe(false);
  });

  it('a failed write is an "unavailable" ApiError naming the entry and the errno, and stores nothing', async () => {
    const { hooks, autostart, conf } = desktop();
    fs.mkdirSync(configHome, { recursive: true });
    fs.writeFileSync(path.join(configHome, 'autostart'), 'a file where the folder should be');
    const error = await errorOf(hooks.set({ autostart: true, notifications: false }));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe('unavailable');
    expect((error as ApiError).message).toContain(
      `could not create the start-at-login entry ${autostart.file}: EEXIST`,
    );
    expect(conf.get('settings')).toEqual({ autostart: false, notifications: true });
  });

  it('notifications are stored in the settings file and read back', async () => {
    const { hooks } = desktop();
    expect((await hooks.set({ notifications: false })).notifications).toBe(false);
    expect(openConf().get('settings').notifications).toBe(false);
    expect((await hooks.get()).notifications).toBe(false);
  });

  it('without a keyring (basic_text, or encryption unavailable) it says passwords last this session only', async () => {
    const { hooks, safe } = desktop();
    safe.backend = 'basic_text';
    expect(await hooks.get()).toMatchObject({ secretsPersisted: false });
    expect((await hooks.get()).secretsNote).toMatch(/no system keyring .*kept in memory until you quit/);

    safe.backend = 'gnome_libsecret';
    safe.available = false;
    const settings = await hooks.set({ notifications: false });
    expect(settings.secretsPersisted).toBe(false);
    expect(settings.secretsNote).toMatch(/system keyring is not available/);
  });

  it('off Linux start at login is not offered: reads off, cannot be switched on, writes no entry', async () => {
    const { hooks, autostart, conf } = desktop('darwin');
    conf.set('settings', { autostart: true, notifications: true }); // e.g. a file copied from Linux
    expect(await hooks.get()).toMatchObject({ autostart: false, autostartSupported: false });
    const error = await errorOf(hooks.set({ autostart: true }));
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect((error as Error).message).toContain('not available on darwin');
    expect((await hooks.set({ autostart: false, notifications: false })).notifications).toBe(false);
    expect(fs.existsSync(autostart.file)).toBe(false);
    expect(autostartSupported('linux')).toBe(true);
    expect(autostartSupported('win32')).toBe(false);
  });
});

describe('headlessSettings (rsync-live serve)', () => {
  it('with the 0600 secrets file: passwords persist, no start at login, notifications kept in memory', async () => {
    const hooks = headlessSettings(new FileSecretStore(path.join(dir, 'secrets.json')));
    expect(await hooks.get()).toEqual({
      autostart: false,
      notifications: true,
      secretsPersisted: true,
      secretsNote: null,
      autostartSupported: false,
    } satisfies AppSettings);
    expect((await hooks.set({ notifications: false })).notifications).toBe(false);
    expect((await hooks.get()).notifications).toBe(false);
    expect(await errorOf(hooks.set({ autostart: true }))).toMatchObject({ kind: 'unavailable' });
    expect((await hooks.set({ autostart: false })).autostart).toBe(false);
  });

  it('reports a store that keeps passwords in memory', async () => {
    const settings = await headlessSettings(new MemorySecretStore()).get();
    expect(settings).toMatchObject({
      secretsPersisted: false,
      secretsNote: expect.stringMatching(/in memory/),
    });
  });
});

describe('AppService settings calls', () => {
  it('setSettings accepts only autostart and notifications, and emits the result as a `settings` event', async () => {
    const { hooks } = desktop();
    const service = new AppService({
      engine: new Engine(),
      pairs: new JsonPairStore(path.join(dir, 'config.json')),
      secrets: new MemorySecretStore(),
      settings: hooks,
    });
    const events: AppSettings[] = [];
    service.events.on('settings', (settings) => events.push(settings));
    for (const readOnly of [
      { secretsPersisted: true },
      { secretsNote: null },
      { autostartSupported: true },
      { notifications: false, autostartSupported: true },
      { notifications: 'no' },
    ]) {
      const error = await errorOf(service.handle('setSettings', readOnly));
      expect(error, JSON.stringify(readOnly)).toMatchObject({ kind: 'invalid-request' });
    }
    expect(events).toEqual([]);
    expect((await service.handle('getSettings', {})) as AppSettings).toMatchObject({ notifications: true });

    const changed = (await service.handle('setSettings', { autostart: true })) as AppSettings;
    expect(changed.autostart).toBe(true);
    expect(events).toEqual([changed]);
    await service.handle('setSettings', { autostart: false });
    await service.stop();
  });
});
