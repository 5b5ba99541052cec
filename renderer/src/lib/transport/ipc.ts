// The Electron transport: calls and events through the preload bridge (`window.rsyncLive`). Always connected.
import type { ApiMethod, ApiRequest, ApiResponses, PreloadBridge } from '../../../../electron/shared/api.ts';
import { EventHub } from './events.ts';
import { unwrap, type Transport } from './types.ts';

export function createIpcTransport(bridge: PreloadBridge): Transport {
  const hub = new EventHub();
  const off = bridge.on((event, payload) => hub.emit(event, payload));
  return {
    kind: 'ipc',
    async call<M extends ApiMethod>(method: M, request?: ApiRequest<M>): Promise<ApiResponses[M]> {
      return unwrap(await bridge.call(method, request ?? {})) as ApiResponses[M];
    },
    on: (event, listener) => hub.on(event, listener),
    onStatus(listener) {
      listener('open');
      return () => undefined;
    },
    close: off,
  };
}
