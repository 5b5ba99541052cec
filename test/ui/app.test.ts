// Real-browser tests of the web UI: headless Chromium against the real headless server, the real engine and a
// real rsync daemon on 127.0.0.1, with the renderer built by Vite (rebuilt here when missing or stale).
// (a) first run → add a pair through the form → test connection → a file arrives → idle + activity →
//     pause, resume, remove (confirmed) → empty again;
// (b) a wrong password → Failures view → Retry now → fixed through Edit → recovered;
// (c) the daemon stops → connection refused → it starts again → back to idle by itself;
// (d) the server restarts → the page says so, reconnects on its own and shows live state again;
// (e) with a preload bridge (as in Electron) everything goes through it, and Browse… picks the folder; with
//     desktop settings (no keyring, autostart offered) the window warns that passwords last this session only,
//     and the Start at login checkbox calls setSettings({autostart});
// (f) headless Settings: no Start at login, notifications "desktop app only"; a keyboard toggle is kept by the
//     service across a reload;
// (g) the delete guard: a folder with 3 files (guard minimum 3) mirrored to a local directory is emptied → the card and the
//     Failures view show "3 deletions held" while the target keeps its files → Confirm deletions → confirm →
//     the target is emptied and the guard is gone; the pair form edits the guard's share and minimum;
// (h) Import sersync config: a picked file with a typo shows its line (Show line selects it), a pasted stock
//     confxml.xml adapted to a real daemon (auth with its 0600 password file) previews the folder, its target,
//     the warnings and what is not imported; Import 1 folder → the pair appears and a new file reaches the daemon.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  API_EVENTS,
  type AppSettings,
  type PairView,
  type SettingsChange,
} from '../../electron/shared/api.js';
import { callService, type SettingsHooks } from '../../electron/service/app-service.js';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { stockConfxml } from '../helpers/sersync-config.js';
import { SCREENSHOTS, startApp, until, untilText, type TestApp, browserSuite } from './harness.js';

describe('web UI', () => {
  const suite = browserSuite();
  const { cleanups } = suite;

  /** A daemon, an app and a page, all closed after the test; console errors (CSP included) fail the test. */
  async function setup(appOptions: Parameters<typeof startApp>[0] = {}): Promise<{
    daemon: RsyncDaemon;
    app: TestApp;
    page: Page;
    folder: string;
    errors: string[];
  }> {
    const daemon = await startRsyncDaemon({ socketNodelay: true });
    cleanups.push(() => daemon.dispose());
    const app = await startApp(appOptions);
    cleanups.push(() => app.close());
    const folder = path.join(app.work, 'Documents');
    await mkdir(folder);
    return { daemon, app, folder, ...(await suite.newPage()) };
  }

  async function seedPair(
    app: TestApp,
    daemon: RsyncDaemon,
    folder: string,
    password: string,
  ): Promise<void> {
    await app.service.handle('savePair', {
      pair: { id: 'docs', folder, targets: [{ id: 't1', url: daemon.url(), password }] },
    });
  }

  it('(a) first run: add a pair through the form, test it, and see a file arrive', async () => {
    const { daemon, app, page, folder, errors } = await setup();
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'No folders paired yet' }).waitFor();
    expect(page.url()).not.toContain('token='); // the fragment is dropped from the address bar

    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByLabel('Local folder').fill(folder);
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(daemon.port));
    await page.getByLabel('Module').fill(daemon.moduleName);
    await page.getByLabel('User').fill(daemon.user);
    await page.getByLabel('Password', { exact: true }).fill(daemon.password);
    expect(await page.getByTestId('built-url').textContent()).toBe(daemon.url());

    await page.getByRole('button', { name: 'Test connection' }).click();
    const result = page.getByTestId('connection-result');
    await untilText(result, /Write access OK/);
    const tested = (await result.textContent()) ?? '';
    expect(tested).toContain('Modules offered:');
    expect(tested).toContain(daemon.moduleName);
    expect(tested).toContain('Authentication OK');

    await page.getByRole('button', { name: 'Save' }).click();
    const target = page.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);

    await writeFile(path.join(folder, 'hello.txt'), 'hello from the UI test\n');
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    await untilText(target.getByTestId('today'), /^[1-9]\d* files?, /);
    await untilText(target.getByTestId('status'), /^up to date$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'a-pair-synced.png'), fullPage: true });

    await page.getByRole('button', { name: 'Activity' }).click();
    const batches = page.getByTestId('batch');
    await batches.first().waitFor();
    const sent = batches.filter({ has: page.getByTestId('batch-files').filter({ hasText: /^[1-9]/ }) });
    await sent.first().waitFor();
    expect(await sent.first().textContent()).toMatch(/ok/);

    await page.getByRole('button', { name: 'Folders' }).click();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await untilText(target.getByTestId('status'), /^paused$/);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await untilText(target.getByTestId('status'), /^up to date$/);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('heading', { name: 'No folders paired yet' }).waitFor();
    expect(await app.service.handle('listPairs', {})).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('(b) a wrong password shows in Failures; Retry now, then Edit fixes it and the pair recovers', async () => {
    const { daemon, app, page, folder, errors } = await setup();
    await seedPair(app, daemon, folder, 'not-the-password');
    await page.goto(app.url);
    await page.getByRole('button', { name: /^Failures/ }).click();
    const failure = page.getByTestId('failure');
    await untilText(failure.getByTestId('failure-message'), /auth failed for user backup/);
    expect(await failure.textContent()).toContain('waits for you');
    await untilText(failure.getByTestId('attempts'), /^1$/);
    await failure.getByRole('button', { name: 'Retry now' }).click();
    await untilText(failure.getByTestId('attempts'), /^2$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'b-auth-failed.png'), fullPage: true });

    await failure.getByRole('button', { name: 'Edit pair' }).click();
    await page.getByText('A password is stored; leave this empty to keep it.').waitFor();
    expect(await page.getByLabel('Host').inputValue()).toBe('127.0.0.1');
    expect(await page.getByLabel('Module').inputValue()).toBe(daemon.moduleName);
    await page.getByLabel('Password', { exact: true }).fill(daemon.password);
    await page.getByRole('button', { name: 'Save' }).click();

    await untilText(page.getByTestId('target').getByTestId('status'), /^up to date$/);
    await page.getByRole('button', { name: /^Failures/ }).click();
    await page.getByTestId('no-failures').waitFor();
    await writeFile(path.join(folder, 'after-fix.txt'), 'fixed\n');
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    expect(errors).toEqual([]);
  });

  it('(c) the daemon stops: connection refused; it starts again: back to idle', async () => {
    const { daemon, app, page, folder, errors } = await setup();
    await seedPair(app, daemon, folder, daemon.password);
    await page.goto(app.url);
    const target = page.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);

    await daemon.stop();
    await writeFile(path.join(folder, 'during-outage.txt'), 'queued while the daemon was down\n');
    await untilText(target.getByTestId('status'), /^error$/);
    await untilText(target, /connection refused by 127\.0\.0\.1:\d+::data/);
    await page.getByRole('button', { name: /^Failures/ }).click();
    const failure = page.getByTestId('failure');
    await untilText(failure.getByTestId('failure-message'), /^connection refused/);
    expect(await failure.textContent()).toMatch(/Next retry\s*(in \d+ s|now)/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'c-connection-refused.png'), fullPage: true });

    await daemon.start();
    await page.getByRole('button', { name: 'Folders' }).click();
    await untilText(target.getByTestId('status'), /^up to date$/, 20_000);
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    expect(errors).toEqual([]);
  });

  it('(d) the server restarts: the page reconnects by itself and follows live state again', async () => {
    const { daemon, app, page, folder, errors } = await setup();
    await seedPair(app, daemon, folder, daemon.password);
    await page.goto(app.url);
    const target = page.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);

    await app.stopServer();
    await page.getByText(/reconnecting/).waitFor();
    await app.startServer();
    await page.getByText(/reconnecting/).waitFor({ state: 'detached', timeout: 15_000 });
    await writeFile(path.join(folder, 'after-restart.txt'), 'x'.repeat(5000));
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    await untilText(target.getByTestId('today'), /^1 file, 4\.9 KiB$/);
    // The browser logs the refused reconnection attempts; nothing else may fail.
    expect(errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });

  it('(e) in Electron (a preload bridge): calls and events use it, Browse… fills in the folder, Settings', async () => {
    let picked = '';
    // The desktop app's settings as main.ts reports them without a keyring (desktopSettings, unit-tested).
    const secretsNote =
      'the system keyring is not available, so passwords are kept in memory until you quit; unlock or install GNOME Keyring or KWallet to save them';
    let desktop: AppSettings = {
      autostart: false,
      notifications: true,
      secretsPersisted: false,
      secretsNote,
      autostartSupported: true,
    };
    const settings: SettingsHooks = {
      get: async () => desktop,
      set: async (change: SettingsChange) => (desktop = { ...desktop, ...change }),
    };
    const { daemon, app, page, folder, errors } = await setup({ pickFolder: async () => picked, settings });
    picked = folder;
    // A stand-in for electron/preload: the PreloadBridge shape, wired to the real AppService.
    const bridgeCalls: { method: string; request: unknown }[] = [];
    await page.exposeFunction('__rsyncLiveCall', (method: string, request: unknown) => {
      bridgeCalls.push({ method, request });
      return callService(app.service, method, request);
    });
    await page.addInitScript({
      content: `
        const listeners = new Set();
        window.__rsyncLiveEmit = (event, payload) => listeners.forEach((listener) => listener(event, payload));
        window.rsyncLive = {
          call: (method, request) => window.__rsyncLiveCall(method, request),
          on: (listener) => { listeners.add(listener); return () => listeners.delete(listener); },
        };`,
    });
    for (const event of API_EVENTS) {
      const forward = (payload: unknown): void => {
        page
          .evaluate(`window.__rsyncLiveEmit(${JSON.stringify(event)}, ${JSON.stringify(payload)})`)
          .catch(() => {
            // the page may be closing
          });
      };
      app.service.events.on(event, forward);
      cleanups.push(async () => void app.service.events.off(event, forward));
    }
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    await page.goto(app.server.url); // no token: the bridge needs none
    // No keyring: the warning is on the window itself, before any password is typed.
    const warning = page.getByTestId('secrets-warning');
    await untilText(warning, /Passwords are kept for this session only\./);
    expect(await warning.textContent()).toContain(
      'The system keyring is not available, so passwords are kept',
    );
    expect(await warning.getAttribute('role')).toBe('status');
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('button', { name: 'Browse…' }).click();
    await until(
      'the picked folder',
      async () => (await page.getByLabel('Local folder').inputValue()) === folder,
    );
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(daemon.port));
    await page.getByLabel('Module').fill(daemon.moduleName);
    await page.getByLabel('User').fill(daemon.user);
    await page.getByLabel('Password', { exact: true }).fill(daemon.password);
    await page.getByRole('button', { name: 'Save' }).click();
    const target = page.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);
    await writeFile(path.join(folder, 'via-bridge.txt'), 'hello\n');
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    await untilText(target.getByTestId('today'), /^1 file, /);

    await page.getByRole('button', { name: 'Settings' }).click();
    const autostart = page.getByRole('checkbox', { name: 'Start at login' });
    expect(await autostart.isChecked()).toBe(false);
    expect(await autostart.getAttribute('aria-describedby')).toBeTruthy();
    await autostart.click();
    await until('setSettings({autostart: true}) through the bridge', async () =>
      bridgeCalls.some(
        (c) => c.method === 'setSettings' && JSON.stringify(c.request) === '{"autostart":true}',
      ),
    );
    await until('the checkbox shows the answer', () => autostart.isChecked());
    expect(desktop.autostart).toBe(true);
    expect(await page.getByTestId('secrets-session-only').textContent()).toMatch(
      /Not saved\.\s+The system keyring/,
    );
    expect(await warning.isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'e-settings-desktop.png'), fullPage: true });
    expect(bridgeCalls.filter((c) => c.method === 'setSettings').map((c) => c.request)).toEqual([
      { autostart: true },
    ]);
    expect(sockets).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('(f) headless Settings: notifications toggled by keyboard stay toggled after a reload', async () => {
    const app = await startApp();
    cleanups.push(() => app.close());
    const { page, errors } = await suite.newPage();
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByRole('button', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');

    // Start at login belongs to the desktop app; notifications are kept but shown by the desktop app only.
    expect(await page.getByRole('checkbox', { name: 'Start at login' }).count()).toBe(0);
    expect(await page.getByTestId('autostart-unsupported').textContent()).toMatch(/desktop app/);
    expect(await page.getByText('Desktop app only').isVisible()).toBe(true);
    expect(await page.getByTestId('secrets-warning').count()).toBe(0);
    expect(await page.getByTestId('secrets-saved').textContent()).toMatch(/readable by you only/);

    const notify = page.getByRole('checkbox', { name: 'Notify me when a folder stops syncing' });
    expect(await notify.isChecked()).toBe(true);
    await notify.focus();
    await page.keyboard.press('Space');
    await until(
      'the service to store notifications: false',
      async () => !((await app.service.handle('getSettings', {})) as AppSettings).notifications,
    );
    expect(await notify.isChecked()).toBe(false);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'f-settings-headless.png'), fullPage: true });

    await page.reload();
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await until('the stored value after the reload', async () => !(await notify.isChecked()));
    expect(errors).toEqual([]);
  });

  it('(g) losing the whole folder trips the delete guard; Confirm deletions empties the target', async () => {
    const app = await startApp();
    cleanups.push(() => app.close());
    const { page, errors } = await suite.newPage();
    const folder = path.join(app.work, 'Documents');
    const backup = path.join(app.work, 'backup');
    await mkdir(folder);
    await mkdir(backup);
    const files = ['one.txt', 'two.txt', 'three.txt'];
    for (const name of files) await writeFile(path.join(folder, name), `${name}\n`);
    await app.service.handle('savePair', {
      pair: {
        id: 'docs',
        folder,
        targets: [{ id: 't1', url: backup }],
        // Emptying a small folder is an ordinary deletion; a loss of at least 3 entries and over half is not.
        deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 3 },
      },
    });
    const backedUp = async (): Promise<string[]> => (await readdir(backup)).sort();
    await page.goto(app.url);
    const card = page.locator('#pair-docs');
    const target = card.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);
    await until('the target has the three files', async () => (await backedUp()).length === 3);
    expect(await card.getByTestId('delete-guard').count()).toBe(0);

    await Promise.all(files.map((name) => rm(path.join(folder, name))));
    const guard = card.getByTestId('delete-guard');
    await untilText(guard.getByTestId('guard-held'), /^3 deletions held$/);
    expect(await guard.getByRole('heading').textContent()).toBe(
      'Deletions paused: most of the folder would be deleted',
    );
    expect(await guard.getByTestId('guard-message').textContent()).toMatch(
      /^3 of 3 entries of .*Documents would be deleted on the backup; nothing is deleted on the targets until you confirm/,
    );
    expect(await guard.getByTestId('guard-since').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await untilText(card.getByTestId('status').first(), /^deletions held$/);
    await untilText(target.getByTestId('status'), /^deletions held$/);
    await untilText(page.getByTestId('overall'), /^Deletions held for 1 folder$/);
    expect(await page.title()).toBe('Rsync Live — Deletions held for 1 folder');
    expect(await target.getByTestId('target-held').textContent()).toMatch(/^\s*3 held until you confirm\s*$/);
    await untilText(page.getByRole('button', { name: /^Failures/ }), /Failures\s*1/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await backedUp()).toEqual([...files].sort());
    await card.screenshot({ path: path.join(SCREENSHOTS, 'g-delete-guard-card.png') });

    // The Failures view shows the same guard, with the button.
    await page.getByRole('button', { name: /^Failures/ }).click();
    const failure = page.getByTestId('failure');
    expect(await failure.count()).toBe(1);
    await untilText(failure.getByTestId('guard-held'), /^3 deletions held$/);
    expect(await failure.getByRole('heading').textContent()).toBe(
      'Documents: deletions paused, most of the folder would be deleted',
    );
    expect(await failure.getByRole('button', { name: 'Confirm deletions' }).isVisible()).toBe(true);
    expect(await failure.getByRole('button', { name: 'Retry now' }).count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'g-delete-guard-failures.png'), fullPage: true });

    // Cancel changes nothing; confirming applies the deletions.
    await page.getByRole('button', { name: 'Folders' }).click();
    await card.getByRole('button', { name: 'Confirm deletions' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(
      '3 deletions will be applied to every target of this pair; the backup will then mirror the folder as it is now.',
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'g-delete-guard-dialog.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await guard.isVisible()).toBe(true);
    expect(await backedUp()).toHaveLength(3);

    await card.getByRole('button', { name: 'Confirm deletions' }).click();
    await dialog.getByRole('button', { name: 'Confirm deletions' }).click();
    await until('the target to be emptied', async () => (await backedUp()).length === 0);
    await guard.waitFor({ state: 'detached' });
    await untilText(target.getByTestId('status'), /^up to date$/);
    await untilText(card.getByTestId('status').first(), /^up to date$/);
    expect(await target.getByTestId('target-held').count()).toBe(0);
    await page.getByRole('button', { name: /^Failures/ }).click();
    await page.getByTestId('no-failures').waitFor();

    // The pair form shows the guard's settings (50 % and the pair's minimum, 3) and saves changes to them.
    await page.getByRole('button', { name: 'Folders' }).click();
    await card.getByRole('button', { name: 'Edit', exact: true }).click();
    const enabled = page.getByRole('checkbox', { name: /Hold deletions until I confirm them/ });
    const share = page.getByLabel('Share of the folder (%)');
    const minimum = page.getByLabel('Minimum entries');
    expect(await enabled.isChecked()).toBe(true);
    expect(await share.inputValue()).toBe('50');
    expect(await minimum.inputValue()).toBe('3');
    // An empty field passes the browser's own checks; the form names the problem.
    await minimum.fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    // At the field, highlighted; the box by the buttons only points at it.
    await untilText(
      page.getByTestId('guard-options').getByTestId('field-error'),
      /^delete guard: the minimum number of entries must be a whole number of at least 1$/,
    );
    expect(await minimum.getAttribute('aria-invalid')).toBe('true');
    expect(await share.getAttribute('aria-invalid')).toBeNull();
    await untilText(page.getByTestId('form-error'), /^Not saved: fix the fields marked above\.$/);
    await page
      .getByTestId('guard-options')
      .screenshot({ path: path.join(SCREENSHOTS, 'g-guard-field-error.png') });
    await share.fill('30');
    await minimum.fill('10');
    await page
      .getByTestId('guard-options')
      .screenshot({ path: path.join(SCREENSHOTS, 'g-guard-options.png') });
    await page.getByRole('button', { name: 'Save' }).click();
    await card.waitFor();
    const saved = (await app.service.handle('listPairs', {})) as PairView[];
    expect(saved[0]?.deleteGuard).toEqual({ enabled: true, maxShare: 0.3, minEntries: 10 });

    // Switched off, the numbers cannot be edited and are kept.
    await card.getByRole('button', { name: 'Edit', exact: true }).click();
    expect(await share.inputValue()).toBe('30');
    await enabled.uncheck();
    expect(await share.isDisabled()).toBe(true);
    expect(await minimum.isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Save' }).click();
    await card.waitFor();
    const off = (await app.service.handle('listPairs', {})) as PairView[];
    expect(off[0]?.deleteGuard).toEqual({ enabled: false, maxShare: 0.3, minEntries: 10 });
    expect(errors).toEqual([]);
  });

  it('(i) Save refuses at the field: a missing folder, a malformed target; a password typed in the URL is never shown', async () => {
    const { daemon, app, page, folder, errors } = await setup();
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('radio', { name: 'Advanced: target URL' }).check();
    await page.getByRole('textbox', { name: 'Target URL' }).fill(`127.0.0.1:::${daemon.moduleName}`);
    // Checked in the browser first: a relative folder, at its field.
    await page.getByLabel('Local folder').fill('Documents');
    await page.getByRole('button', { name: 'Save' }).click();
    await untilText(page.getByTestId('folder-error'), /^give the full path, starting with "\/"/);
    await page.getByLabel('Local folder').fill(path.join(folder, 'not-there'));
    await page.getByRole('button', { name: 'Save' }).click();
    await untilText(page.getByTestId('folder-error'), /does not exist: create it first/);
    await untilText(page.getByTestId('target-error'), /is malformed: a daemon target has exactly two colons/);
    expect(await page.getByLabel('Local folder').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('textbox', { name: 'Target URL' }).getAttribute('aria-invalid')).toBe('true');
    await untilText(page.getByTestId('form-error'), /fix the fields marked above/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'i-field-errors.png'), fullPage: true });

    // Fixed: the folder exists, the URL carries user:password (moved into the secret store on Save).
    await page.getByLabel('Local folder').fill(folder);
    await page
      .getByRole('textbox', { name: 'Target URL' })
      .fill(`rsync://${daemon.user}:${daemon.password}@127.0.0.1:${daemon.port}/${daemon.moduleName}`);
    await page.getByRole('button', { name: 'Save' }).click();
    const target = page.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);
    expect(await page.content()).not.toContain(daemon.password);
    const state = await fetch(`${app.server.url}api/state`, {
      headers: { Authorization: `Bearer ${new URL(app.url).hash.replace('#token=', '')}` },
    });
    expect(await state.text()).not.toContain(daemon.password);
    // The refused Save is a 400 answer, which Chromium logs; nothing else may appear.
    expect(errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
  });

  it('(h) Import sersync config: a typo shows its line; a stock confxml.xml previews, imports and syncs', async () => {
    const { daemon, app, page, errors } = await setup();
    const folder = path.join(app.work, 'tongbu');
    await mkdir(folder);
    await writeFile(path.join(folder, 'before-import.txt'), 'already there\n');
    // sersync's stock confxml.xml, with the watched folder, the daemon's module, port and login adapted.
    const xml = stockConfxml({
      filterStart: true,
      localpaths: `\t<localpath watch="${folder}">\n\t    <remote ip="127.0.0.1" name="${daemon.moduleName}"/>\n\t    <!--<remote ip="192.168.8.39" name="tongbu"/>-->\n\t</localpath>`,
      rsyncAttrs: {
        auth: `start="true" users="${daemon.user}" passwordfile="${daemon.passwordFile}"`,
        userDefinedPort: `start="true" port="${daemon.port}"`,
      },
      failLog: `\t<failLog path="${app.work}/rsync_fail_log.sh" timeToExecute="60"/><!--default every 60mins execute once-->`,
      crontab:
        '\t<crontab start="true" schedule="600"><!--600mins-->\n\t    <crontabfilter start="true">\n\t\t<exclude expression="*.php"></exclude>\n\t\t<exclude expression="info/*"></exclude>\n\t    </crontabfilter>\n\t</crontab>',
      plugins: `    <plugin name="command">
\t<param prefix="/bin/sh" suffix="" ignoreError="true"/>\t<!--prefix /opt/tongbu/mmm.sh suffix-->
\t<filter start="false">
\t    <include expression="(.*)\\.php"/>
\t    <include expression="(.*)\\.sh"/>
\t</filter>
    </plugin>

    <plugin name="socket">
\t<localpath watch="${folder}">
\t    <deshost ip="192.168.138.20" port="8009"/>
\t</localpath>
    </plugin>
`,
    });
    const lineOf = (text: string, needle: string): number =>
      text.slice(0, text.indexOf(needle)).split('\n').length;

    await page.goto(app.url);
    await page.getByRole('heading', { name: 'No folders paired yet' }).waitFor();
    await page.getByRole('button', { name: 'Import sersync config…' }).click();
    await page.getByRole('heading', { name: 'Import sersync config' }).waitFor();
    expect(await page.getByRole('button', { name: 'Folders' }).count()).toBe(0); // the view replaces the tabs

    // A picked file with a typo: refused with its line and column; Show line selects that line in the text.
    const typo = xml.replace(`name="${daemon.moduleName}"/>`, `nmae="${daemon.moduleName}"/>`);
    const typoLine = lineOf(typo, 'nmae=');
    await page.getByLabel('Configuration file').setInputFiles({
      name: 'broken.xml',
      mimeType: 'text/xml',
      buffer: Buffer.from(typo),
    });
    const text = page.getByLabel('Or paste its contents');
    await until('the file in the text box', async () => (await text.inputValue()) === typo);
    expect(await page.getByRole('status').textContent()).toMatch(/Read broken\.xml: \d+ lines\./);
    await page.getByRole('button', { name: 'Preview' }).click();
    const problem = page.getByTestId('import-error');
    await untilText(problem.getByTestId('import-error-where'), new RegExp(`^Line ${typoLine}, column \\d+$`));
    expect(await problem.textContent()).toContain('of broken.xml');
    expect(await problem.getByTestId('import-error-text').textContent()).toBe(
      '<remote> inside <localpath> has no attribute "nmae": it takes "ip", "name", "port"',
    );
    expect(await problem.getAttribute('role')).toBe('alert');
    expect(await text.getAttribute('aria-invalid')).toBe('true');
    await problem.getByRole('button', { name: `Show line ${typoLine}` }).click();
    const selected = await text.evaluate(
      (el: { value: string; selectionStart: number; selectionEnd: number }) =>
        el.value.slice(el.selectionStart, el.selectionEnd),
    );
    expect(selected).toBe(typo.split('\n')[typoLine - 1]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'h-sersync-error.png'), fullPage: true });

    // The fixed file pasted: the preview shows the folder, its target, the settings and every warning.
    await text.fill(xml);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('import-preview');
    await preview.getByRole('heading', { name: 'Preview: 1 folder from confxml.xml' }).waitFor();
    const expected = (await app.service.handle('importSersync', { xml })) as {
      warnings: string[];
      plugins: { kind: string }[];
    };
    const pair = preview.getByTestId('import-pair');
    expect(await pair.count()).toBe(1);
    expect(await pair.getByRole('heading').textContent()).toBe(folder);
    expect(await pair.getByTestId('import-target').textContent()).toMatch(
      new RegExp(
        `^\\s*rsync://${daemon.user}@127\\.0\\.0\\.1:${daemon.port}/${daemon.moduleName}\\s+password file ${daemon.passwordFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`,
      ),
    );
    expect(await pair.getByTestId('import-deletion').textContent()).toBe(
      'Mirror: deletions are made on the targets too',
    );
    expect(await pair.getByTestId('import-excludes').textContent()).toBe(
      '4 patterns (regular expressions); 3 more for scheduled full syncs only',
    );
    expect(await pair.getByTestId('import-schedule').textContent()).toBe(
      'at start, then every 8 hours (0 */8 * * *)',
    );
    const warnings = preview.getByTestId('import-warning');
    expect(expected.warnings.length).toBeGreaterThanOrEqual(5);
    expect(await warnings.count()).toBe(expected.warnings.length);
    const shown = (await warnings.allTextContents()).map((line) => line.replace(/\s+/g, ' ').trim());
    expect(shown[0]).toBe(
      'Line 3: <host> inside <head> is ignored: a field sersync reserved for plugins and never used; rsync-live needs no control port (use `rsync-live serve` for a UI)',
    );
    expect(shown).toContainEqual(
      expect.stringMatching(/^Line \d+: <crontab schedule="600">: every 10 hours/),
    );
    expect(shown).toContainEqual(
      expect.stringMatching(/^Line \d+: failLog: rsync-live writes a readable record/),
    );
    expect(
      await preview.getByRole('heading', { name: `Warnings (${expected.warnings.length})` }).count(),
    ).toBe(1);
    const notImported = await preview
      .getByTestId('import-not-imported')
      .getByRole('listitem')
      .allTextContents();
    expect(notImported.map((line) => line.split(':')[0])).toEqual(['command', 'socket', 'failLog']);
    expect(expected.plugins.map((plugin) => plugin.kind)).toEqual(['command', 'socket', 'failLog']);
    expect(await preview.textContent()).toContain('rsync-live sersync -o confxml.xml');
    expect(await app.service.handle('listPairs', {})).toEqual([]); // a preview saves nothing
    await page.screenshot({ path: path.join(SCREENSHOTS, 'h-sersync-preview.png'), fullPage: true });

    // Import: back to the folder list, on the new folder, which syncs to the daemon with the password file.
    await preview.getByRole('button', { name: 'Import 1 folder' }).click();
    const card = page.locator('#pair-tongbu');
    await card.waitFor();
    await until('the new folder to have focus', () =>
      page.evaluate<boolean>("document.activeElement?.id === 'pair-tongbu'"),
    );
    const target = card.getByTestId('target');
    await untilText(target.getByTestId('status'), /^up to date$/);
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    await writeFile(path.join(folder, 'after-import.txt'), 'written after the import\n');
    await waitForConverge(folder, daemon.modulePath, { timeoutMs: 10_000 });
    const saved = (await app.service.handle('listPairs', {})) as PairView[];
    expect(saved.map((p) => [p.id, p.folder, p.targets[0]?.passwordFile, p.targets[0]?.hasPassword])).toEqual(
      [['tongbu', folder, daemon.passwordFile, false]],
    );
    expect(await page.getByRole('button', { name: 'Import sersync config…' }).isVisible()).toBe(true);
    // The browser logs the refused preview (HTTP 400) of the file with the typo; nothing else may fail.
    expect(errors).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
  });
});
