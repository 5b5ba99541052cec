// The app window: one sandboxed, context-isolated BrowserWindow that loads the built renderer from file://
// (or the Vite dev server in development), with a Content-Security-Policy, no window.open, no navigation away
// from the app, and every permission request refused. Closing it hides it: the app keeps syncing in the tray.
// Also the one way to push events to the renderer (IPC_EVENT_CHANNEL) and to open it on a pair.
import fs from 'node:fs';
import { BrowserWindow, session, shell } from 'electron';
import { IPC_EVENT_CHANNEL, type ApiEventName, type ApiEvents } from '../shared/api.js';
import type { AppPaths } from './paths.js';
import {
  contentSecurityPolicy,
  isExternalLink,
  isTrustedUrl,
  rendererOrigin,
  type RendererOrigin,
} from './trust.js';

export interface MainWindowOptions {
  paths: AppPaths;
  title: string;
  /** Vite dev server (development only), e.g. http://localhost:5173. */
  devServerUrl: string | null;
}

const MISSING_RENDERER = (index: string): string =>
  `data:text/html;charset=utf-8,${encodeURIComponent(
    `<!doctype html><meta charset="utf-8"><title>Rsync Live</title><body style="font:14px sans-serif;padding:2em">` +
      `<h1>The window is not built</h1><p>${index.replace(/[<>&]/g, '')} is missing: run <code>npm run build</code> ` +
      `(renderer included), then start Rsync Live again. Syncing continues from the tray.</p>`,
  )}`;

export class MainWindow {
  readonly origin: RendererOrigin;
  readonly #options: MainWindowOptions;
  #window: BrowserWindow | null = null;
  #loaded = false;
  /** The first frame is painted (or loading failed): showing now will not flash an empty window. */
  #ready = false;
  #wantShown = false;
  #crashed = false;
  #quitting = false;
  #pendingFocus: string | null = null;

  constructor(options: MainWindowOptions) {
    this.#options = options;
    this.origin = rendererOrigin(options.paths.rendererIndex, options.devServerUrl);
  }

  /**
   * Once, after app ready: the CSP header on the app's own page (documents are where CSP applies; other pages
   * in the session, such as DevTools, are left alone) and no permissions (notifications come from main).
   */
  secureSession(): void {
    const policy = contentSecurityPolicy(this.#options.devServerUrl);
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      if (details.resourceType !== 'mainFrame' || !isTrustedUrl(details.url, this.origin)) {
        callback({});
        return;
      }
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
    });
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
  }

  get window(): BrowserWindow | null {
    return this.#window;
  }

  /** Shows the window, creating it if needed. */
  show(): void {
    if (this.#window && this.#crashed) {
      // The renderer died: start a fresh window rather than show a blank one.
      this.#window.destroy();
      this.#window = null;
    }
    const window = this.#window ?? this.#create();
    if (window.isMinimized()) window.restore();
    if (this.#ready) {
      window.show();
      window.focus();
    } else {
      this.#wantShown = true;
    }
  }

  #becameReady(window: BrowserWindow): void {
    if (this.#ready) return;
    this.#ready = true;
    if (this.#wantShown && !window.isDestroyed()) {
      this.#wantShown = false;
      window.show();
      window.focus();
    }
  }

  /** Shows the window and tells the renderer to open this pair (a notification was clicked). */
  focusPair(pairId: string): void {
    this.show();
    if (this.#loaded) this.send('focusPair', { pairId });
    else this.#pendingFocus = pairId;
  }

  send<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    const window = this.#window;
    if (!window || window.isDestroyed() || !this.#loaded) return;
    window.webContents.send(IPC_EVENT_CHANNEL, event, payload);
  }

  /** From now on closing the window really closes it (the app is quitting). */
  prepareQuit(): void {
    this.#quitting = true;
  }

  #create(): BrowserWindow {
    const { paths, title } = this.#options;
    const window = new BrowserWindow({
      title,
      width: 1000,
      height: 700,
      minWidth: 640,
      minHeight: 480,
      show: false,
      autoHideMenuBar: true,
      icon: paths.appIcon,
      webPreferences: {
        preload: paths.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        webviewTag: false,
        allowRunningInsecureContent: false,
        spellcheck: false,
      },
    });
    this.#window = window;
    this.#loaded = false;
    this.#ready = false;
    this.#crashed = false;
    window.once('ready-to-show', () => this.#becameReady(window));
    const contents = window.webContents;

    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalLink(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    const guard = (event: Electron.Event, url: string): void => {
      if (isTrustedUrl(url, this.origin)) return;
      event.preventDefault();
      if (isExternalLink(url)) void shell.openExternal(url);
    };
    contents.on('will-navigate', (event) => guard(event, event.url));
    contents.on('will-redirect', (event) => guard(event, event.url));
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('did-finish-load', () => {
      this.#loaded = true;
      const pairId = this.#pendingFocus;
      this.#pendingFocus = null;
      if (pairId !== null) this.send('focusPair', { pairId });
    });
    contents.on('render-process-gone', (_event, details) => {
      console.error(`rsync-live: the window's renderer stopped (${details.reason}); reopen it from the tray`);
      this.#loaded = false;
      this.#crashed = true;
    });

    window.on('close', (event) => {
      if (this.#quitting) return;
      event.preventDefault();
      window.hide();
    });
    window.on('closed', () => {
      if (this.#window === window) this.#window = null;
    });

    void this.#load(window);
    return window;
  }

  async #load(window: BrowserWindow): Promise<void> {
    const { devServerUrl, paths } = this.#options;
    try {
      if (devServerUrl) await window.loadURL(devServerUrl);
      else if (fs.existsSync(paths.rendererIndex)) await window.loadFile(paths.rendererIndex);
      else await window.loadURL(MISSING_RENDERER(paths.rendererIndex));
    } catch (error) {
      console.error(`rsync-live: could not load the window: ${(error as Error).message}`);
      this.#becameReady(window);
    }
  }
}
