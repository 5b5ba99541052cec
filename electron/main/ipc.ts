// The Electron transport of the API contract, and the only file that uses ipcMain: one invoke channel whose
// handler checks that the call comes from the app's own top-level page, then answers with callService's
// ApiResult envelope; and the AppService's push events forwarded to the window on the event channel.
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { callService, type AppService } from '../service/app-service.js';
import {
  API_EVENTS,
  IPC_INVOKE_CHANNEL,
  type ApiEventName,
  type ApiEvents,
  type ApiResult,
} from '../shared/api.js';
import { isTrustedUrl, type RendererOrigin } from './trust.js';

export interface IpcOptions {
  service: AppService;
  origin: RendererOrigin;
  /** Delivers a push event to the window (MainWindow.send). */
  send: <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;
}

/** The sender is our page in the window's main frame (not a subframe, not some other URL it was led to). */
export function isTrustedSender(event: IpcMainInvokeEvent, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  return isTrustedUrl(frame.url, origin);
}

/** Registers the handler and the event forwarding; returns a function that removes both. */
export function registerIpc({ service, origin, send }: IpcOptions): () => void {
  ipcMain.handle(
    IPC_INVOKE_CHANNEL,
    async (event, method: unknown, request: unknown): Promise<ApiResult<unknown>> => {
      if (!isTrustedSender(event, origin)) {
        return {
          ok: false,
          error: { kind: 'invalid-request', message: 'calls are accepted only from the Rsync Live window' },
        };
      }
      return callService(service, method, request);
    },
  );

  const removers = API_EVENTS.filter((name) => name !== 'focusPair').map((name) =>
    forward(service, name, send),
  );
  return () => {
    ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
    for (const remove of removers) remove();
  };
}

/** One event name with its own payload type (API_EVENTS covers every event the contract declares). */
function forward<E extends ApiEventName>(service: AppService, name: E, send: IpcOptions['send']): () => void {
  // EventEmitter's typed overloads do not resolve for a generic event name; this view keeps name and payload
  // paired through E instead.
  const events = service.events as unknown as {
    on(event: E, listener: (payload: ApiEvents[E]) => void): unknown;
    off(event: E, listener: (payload: ApiEvents[E]) => void): unknown;
  };
  const listener = (payload: ApiEvents[E]): void => send(name, payload);
  events.on(name, listener);
  return () => events.off(name, listener);
}
