// Chooses the transport: Electron's preload bridge when `window.rsyncLive` exists, else HTTP + WebSocket to the
// headless server that served this page.
import type { PreloadBridge } from '../../../../electron/shared/api.ts';
import { createIpcTransport } from './ipc.ts';
import { createHttpTransport } from './ws.ts';
import type { Transport } from './types.ts';

export type { ConnectionStatus, Transport } from './types.ts';

declare global {
  interface Window {
    rsyncLive?: PreloadBridge;
  }
}

export function createTransport(win: Window & typeof globalThis = window): Transport {
  if (win.rsyncLive) return createIpcTransport(win.rsyncLive);
  return createHttpTransport({
    location: win.location,
    storage: win.sessionStorage,
    history: win.history,
    fetch: win.fetch.bind(win),
    WebSocket: win.WebSocket,
  });
}
