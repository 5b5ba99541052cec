// The preload script, and the only file that uses ipcRenderer: exposes `window.rsyncLive` (the PreloadBridge
// of the API contract) to the sandboxed, context-isolated renderer. Sandboxed preloads cannot be ES modules
// and can require only `electron` (plus events, timers, url), so this file is CommonJS (.cts, compiled by
// tsconfig.preload.json to dist/electron/preload/preload.cjs), imports nothing but types from shared, and
// inlines the channel names; their types are pinned to the shared constants, so a rename fails to compile.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  ApiEventName,
  ApiMethod,
  ApiResult,
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_CHANNEL,
  PreloadBridge,
} from '../shared/api.js';

const INVOKE_CHANNEL: typeof IPC_INVOKE_CHANNEL = 'rsync-live:call';
const EVENT_CHANNEL: typeof IPC_EVENT_CHANNEL = 'rsync-live:event';

const bridge: PreloadBridge = {
  call(method: ApiMethod, request: unknown): Promise<ApiResult<unknown>> {
    return ipcRenderer.invoke(INVOKE_CHANNEL, method, request) as Promise<ApiResult<unknown>>;
  },
  on(listener: (event: ApiEventName, payload: unknown) => void): () => void {
    // The IpcRendererEvent (with its sender) never reaches the page.
    const handler = (_event: IpcRendererEvent, name: ApiEventName, payload: unknown): void =>
      listener(name, payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('rsyncLive', bridge);
