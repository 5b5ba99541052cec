// Where the compiled main process finds the rest of the app. main.js runs from dist/electron/main/ both in
// development and inside the packaged app.asar, so every path is relative to that folder. No electron import.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppPaths {
  /** dist/electron/main */
  mainDir: string;
  /** renderer/dist/index.html (the Vite build). */
  rendererIndex: string;
  /** dist/electron/preload/preload.cjs (CommonJS: sandboxed preloads cannot be ES modules). */
  preload: string;
  /** resources/ (tray icons, app icon). */
  resources: string;
  /** resources/icon.png */
  appIcon: string;
}

export function appPaths(mainDir: string): AppPaths {
  const root = path.resolve(mainDir, '../../..');
  const resources = path.join(root, 'resources');
  return {
    mainDir,
    rendererIndex: path.join(root, 'renderer', 'dist', 'index.html'),
    preload: path.resolve(mainDir, '../preload/preload.cjs'),
    resources,
    appIcon: path.join(resources, 'icon.png'),
  };
}

/** The paths of the running build (this file compiles to dist/electron/main/paths.js). */
export function currentAppPaths(): AppPaths {
  return appPaths(path.dirname(fileURLToPath(import.meta.url)));
}
