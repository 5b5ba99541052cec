// UI test harness: makes sure renderer/dist is built from the current sources, starts the real stack (Engine,
// AppService with file stores, the headless server on 127.0.0.1:0) and a headless Chromium, and offers small
// polling helpers (playwright-core has no auto-retrying expect).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { startServer, type RunningServer } from '../../electron/server/server.js';
import { AppService, type SettingsHooks } from '../../electron/service/app-service.js';
import { FileSecretStore, JsonPairStore } from '../../electron/service/stores.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = path.join(ROOT, 'renderer', 'dist');
export const SCREENSHOTS = path.join(ROOT, 'test', 'ui', 'screenshots');
const TOKEN = 'f'.repeat(16) + Math.random().toString(16).slice(2).padEnd(16, '0');

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of await readdir(entry))
    newest = Math.max(newest, await newestMtime(path.join(entry, name)));
  return newest;
}

/** Builds renderer/dist with Vite when it is missing or older than the renderer sources or shared types. */
export async function ensureRendererBuilt(): Promise<void> {
  const built = await stat(path.join(DIST, 'index.html')).then(
    (info) => info.mtimeMs,
    () => 0,
  );
  const sources = await Promise.all(
    ['renderer/src', 'renderer/index.html', 'renderer/vite.config.ts', 'electron/shared'].map((entry) =>
      newestMtime(path.join(ROOT, entry)),
    ),
  );
  if (built > Math.max(...sources)) return;
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['RSYNC_LIVE_TEST_CHROMIUM'] ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

export interface TestApp {
  /** The address with the token in the fragment, as `rsync-live serve` prints it. */
  url: string;
  service: AppService;
  server: RunningServer;
  /** A scratch folder for this app (config, secrets, folders to pair). */
  work: string;
  /** Closes the server (the engine keeps running); `startServer` brings it back on the same port and token. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startApp(
  options: { pickFolder?: () => Promise<string | null>; settings?: SettingsHooks } = {},
): Promise<TestApp> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-ui-'));
  const configDir = path.join(work, 'config');
  await mkdir(configDir, { mode: 0o700 });
  const service = new AppService({
    engine: new Engine(),
    pairs: new JsonPairStore(path.join(configDir, 'config.json')),
    secrets: new FileSecretStore(path.join(configDir, 'secrets.json')),
    ...(options.pickFolder ? { pickFolder: options.pickFolder } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  await service.start();
  const app: TestApp = {
    url: '',
    service,
    server: await startServer({ service, port: 0, token: TOKEN, staticDir: DIST }),
    work,
    async stopServer() {
      await app.server.close();
    },
    async startServer() {
      app.server = await startServer({ service, port: app.server.port, token: TOKEN, staticDir: DIST });
    },
    async close() {
      await app.server.close().catch(() => undefined);
      await service.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
  app.url = `${app.server.url}#token=${TOKEN}`;
  return app;
}

/** Polls until `check` returns true; fails with `what` and the last value seen. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the locator's text matches. */
export async function untilText(locator: Locator, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  let last = '';
  try {
    await until(
      `text ${pattern}`,
      async () => {
        last = (await locator.textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
        return pattern.test(last);
      },
      timeoutMs,
    );
  } catch {
    throw new Error(`timed out waiting for ${pattern}; last text: ${JSON.stringify(last.trim())}`);
  }
}

/**
 * The browser lifecycle every UI suite shares: renderer built and Chromium launched before the tests, each
 * test's cleanups run (newest first) after it, the browser closed at the end. Call inside a describe block.
 */
export interface BrowserSuite {
  browser: () => Browser;
  cleanups: (() => Promise<void>)[];
  /**
   * A page in a new context, closed after the test; console errors and page errors (CSP included) are collected
   * in `errors` for the test to check.
   */
  newPage: (viewport?: { width: number; height: number }) => Promise<{ page: Page; errors: string[] }>;
}

export function browserSuite(): BrowserSuite {
  let browser: Browser | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    await ensureRendererBuilt();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
  });
  const launched = (): Browser => {
    if (!browser) throw new Error('the browser is not launched yet');
    return browser;
  };
  return {
    browser: launched,
    cleanups,
    async newPage(viewport = { width: 1000, height: 760 }) {
      const context = await launched().newContext({ viewport });
      cleanups.push(() => context.close());
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      return { page, errors };
    },
  };
}
