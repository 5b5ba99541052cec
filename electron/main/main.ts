// The Electron main process: one instance per user (a second launch shows the first one's window), the
// AppService over a real Engine with the settings file (pairs, settings) and safeStorage secrets, the window,
// the IPC transport, the tray and notifications; autostart is applied through setSettings (from the window's
// Settings view or the tray's "Start at login" item). Quit stops the engine (bounded wait) before the process
// exits. Launched with --hidden (autostart) it starts in the tray.
import path from 'node:path';
import { app, dialog, safeStorage, type OpenDialogOptions } from 'electron';
import { Engine } from '../engine/index.js';
import { releaseMemoryAfterFullSyncs } from '../engine/release-memory.js';
import { AppService, callService } from '../service/app-service.js';
import { defaultStateDir } from '../service/xdg-dirs.js';
import type { ApiMethod, AppSettings } from '../shared/api.js';
import type { EngineState } from '../shared/state.js';
import { Autostart, HIDDEN_ARG, autostartCommand } from './autostart.js';
import { registerIpc } from './ipc.js';
import { DesktopNotifications } from './notifications.js';
import { currentAppPaths } from './paths.js';
import { SafeSecretStore } from './secret-store.js';
import {
  autostartSupported,
  desktopSettings,
  openElectronSettingsStore,
  type SettingsStore,
} from './settings-store.js';
import { AppTray } from './tray.js';
import { APP_NAME, nextPausedFlag, trayModel, type TrayAction } from './tray-model.js';
import { MainWindow } from './window.js';

/** Longest wait for in-flight rsync runs when quitting. */
const QUIT_TIMEOUT_MS = 10_000;
/** Icon name the packages install (electron-builder: the executable name). */
const INSTALLED_ICON = 'rsync-live';

const paths = currentAppPaths();
const devServerUrl = app.isPackaged ? null : (process.env.RSYNC_LIVE_DEV_SERVER_URL ?? null);

// One settings folder for development and packaged builds (~/.config/Rsync Live), apart from the headless
// mode's ~/.config/rsync-live.
app.setName(APP_NAME);
app.setPath('userData', path.join(app.getPath('appData'), APP_NAME));

function fail(title: string, error: unknown, advice: string): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`rsync-live: ${title}: ${message}`);
  dialog.showErrorBox(title, `${message}\n\n${advice}`);
  app.exit(1);
}

async function pickFolder(window: MainWindow): Promise<string | null> {
  const options: OpenDialogOptions = {
    title: 'Choose a folder to keep in sync',
    properties: ['openDirectory'],
  };
  const parent = window.window;
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function run(): Promise<void> {
  let window: MainWindow | null = null;
  // A second launch shows the window, unless it is the login autostart (--hidden) of an app already running.
  app.on('second-instance', (_event, argv) => {
    if (!argv.includes(HIDDEN_ARG)) window?.show();
  });
  // Keep running in the tray when the window goes away.
  app.on('window-all-closed', () => undefined);
  await app.whenReady();

  const mainWindow = new MainWindow({ paths, title: APP_NAME, devServerUrl });
  mainWindow.secureSession();
  window = mainWindow;

  let notifications: DesktopNotifications | null = null;
  const autostart = new Autostart({
    exec: autostartCommand({
      execPath: process.execPath,
      isPackaged: app.isPackaged,
      appPath: app.getAppPath(),
      env: process.env,
    }),
    icon: app.isPackaged ? INSTALLED_ICON : paths.appIcon,
  });

  // Start at login is an XDG autostart entry: offered on Linux only (elsewhere the flag is never applied).
  const canAutostart = autostartSupported(process.platform);
  let settings: SettingsStore;
  try {
    settings = await openElectronSettingsStore({
      ...(canAutostart ? { autostart } : {}),
      onChange: (changed) => notifications?.setEnabled(changed.notifications),
    });
  } catch (error) {
    fail(
      `${APP_NAME} cannot read its settings`,
      error,
      `The settings in ${app.getPath('userData')} were left untouched: fix or move settings.json, then start ${APP_NAME} again.`,
    );
    return;
  }

  const secrets = new SafeSecretStore({
    safeStorage,
    backing: settings.secretsBacking(),
    onMemoryOnly: (status) => {
      console.warn(`rsync-live: ${status.reason ?? 'passwords are kept in memory only'}`);
      notifications?.notice('Passwords are not saved', status.reason ?? 'They are kept until you quit.');
    },
  });
  const startup = secrets.status();
  if (!startup.secretsPersisted) console.warn(`rsync-live: ${startup.reason ?? ''}`);

  // The folder+target locks where the CLI and serve take theirs: one engine per folder+target on this account.
  const engine = new Engine({
    stateDir: path.join(app.getPath('userData'), 'state'),
    lockDir: defaultStateDir(process.env),
    lockHolder: 'rsync-live desktop app',
  });
  engine.on('log', ({ level, message }) =>
    (level === 'info' ? console.log : console.warn)(`rsync-live: ${message}`),
  );
  // After each full sync: malloc_trim (and two collections when launched with --js-flags=--expose-gc).
  const stopRelease = releaseMemoryAfterFullSyncs(engine);
  const service = new AppService({
    engine,
    pairs: settings,
    secrets,
    // The stored settings plus what the window must know: are passwords saved, can start at login be switched.
    settings: desktopSettings({ store: settings, secrets, platform: process.platform }),
    pickFolder: () => pickFolder(mainWindow),
  });

  const unregisterIpc = registerIpc({
    service,
    origin: mainWindow.origin,
    send: (event, payload) => mainWindow.send(event, payload),
  });

  let paused = false;
  /** Start at login as the tray shows it (read from the autostart entry); null: not offered. */
  let autostartOn: boolean | null = null;
  if (canAutostart) {
    try {
      autostartOn = (await settings.get()).autostart;
    } catch (error) {
      console.warn(`rsync-live: ${(error as Error).message}`);
      autostartOn = false;
    }
  }
  const call = async (method: ApiMethod, request: unknown = {}): Promise<string | null> => {
    const result = await callService(service, method, request);
    if (result.ok) return null;
    console.error(`rsync-live: ${method} failed: ${result.error.message}`);
    return result.error.message;
  };
  const refreshTray = (state: EngineState): void => {
    paused = nextPausedFlag(paused, state);
    tray.update(trayModel({ state, paused, autostart: autostartOn }));
  };
  const onTrayAction = async (action: TrayAction): Promise<void> => {
    switch (action) {
      case 'open':
        mainWindow.show();
        return;
      case 'sync-now':
        await call('syncNow');
        return;
      case 'pause-all':
        paused = true;
        await call('pause');
        refreshTray(service.state());
        return;
      case 'resume-all':
        paused = false;
        await call('resume');
        refreshTray(service.state());
        return;
      case 'toggle-autostart':
        // On success the `settings` event updates autostartOn; either way the menu shows the entry's state.
        if (autostartOn !== null) {
          const failed = await call('setSettings', { autostart: !autostartOn });
          if (failed !== null) notifications?.notice('Start at login was not changed', failed);
        }
        refreshTray(service.state());
        return;
      case 'quit':
        app.quit();
        return;
    }
  };
  const tray = new AppTray(
    { resourcesDir: paths.resources, onAction: (action) => void onTrayAction(action) },
    trayModel({ state: service.state(), paused, autostart: autostartOn }),
  );
  service.events.on('state', refreshTray);
  // A change from the window (or the tray itself): the check mark follows what is on disk.
  const onSettings = (changed: AppSettings): void => {
    autostartOn = changed.autostartSupported ? changed.autostart : null;
    refreshTray(service.state());
  };
  service.events.on('settings', onSettings);

  notifications = new DesktopNotifications({
    service,
    iconPath: paths.appIcon,
    enabled: (await settings.get()).notifications,
    open: (pairId) => (pairId === null ? mainWindow.show() : mainWindow.focusPair(pairId)),
  });

  let stopping = false;
  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    mainWindow.prepareQuit();
    void (async () => {
      notifications?.dispose();
      stopRelease();
      unregisterIpc();
      service.events.off('state', refreshTray);
      service.events.off('settings', onSettings);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), QUIT_TIMEOUT_MS);
      });
      const outcome = await Promise.race([
        service.stop().then(
          () => 'stopped' as const,
          (error: unknown) => {
            console.error(`rsync-live: stopping the engine failed: ${(error as Error).message}`);
            return 'stopped' as const;
          },
        ),
        timeout,
      ]);
      clearTimeout(timer);
      tray.destroy();
      stopped = true;
      if (outcome === 'timeout') {
        console.warn(`rsync-live: rsync runs still busy after ${QUIT_TIMEOUT_MS / 1000} s; quitting anyway`);
        app.exit(0);
      } else {
        app.quit();
      }
    })();
  });

  try {
    await service.start();
  } catch (error) {
    // Never run on with an empty pair list: the next save would overwrite the user's pairs.
    fail(
      `${APP_NAME} cannot load its folders`,
      error,
      `The settings in ${app.getPath('userData')} were left untouched: fix or move settings.json, then start ${APP_NAME} again.`,
    );
    return;
  }
  refreshTray(service.state());
  if (!process.argv.includes(HIDDEN_ARG)) mainWindow.show();
}

if (app.requestSingleInstanceLock()) {
  run().catch((error: unknown) =>
    fail(`${APP_NAME} could not start`, error, 'Start it from a terminal to see details.'),
  );
} else {
  app.quit();
}
