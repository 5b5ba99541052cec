// The headless transport: calls as POST /api/call/<method> with the token as a Bearer header, events over the
// /api/events WebSocket (token in the query: browsers cannot set WebSocket headers), reconnecting with capped
// exponential backoff. The token comes from the address fragment (#token=…), which is then removed from the
// address bar and kept in sessionStorage for reloads of this tab.
import {
  ApiError,
  type ApiMethod,
  type ApiRequest,
  type ApiResponses,
  type ApiResult,
} from '../../../../electron/shared/api.ts';
import { EventHub } from './events.ts';
import { unwrap, type ConnectionStatus, type Transport } from './types.ts';

const TOKEN_KEY = 'rsync-live-token';
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15_000;

export interface HttpTransportEnv {
  location: Pick<Location, 'hash' | 'host' | 'protocol' | 'pathname' | 'search'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
  history: Pick<History, 'replaceState'>;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
}

/** Reads `#token=` (and forgets it from the address bar), else the token kept for this tab. */
export function readToken(env: Pick<HttpTransportEnv, 'location' | 'storage' | 'history'>): string | null {
  const fromHash = new URLSearchParams(env.location.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    env.storage.setItem(TOKEN_KEY, fromHash);
    env.history.replaceState(null, '', `${env.location.pathname}${env.location.search}`);
    return fromHash;
  }
  return env.storage.getItem(TOKEN_KEY);
}

const NOT_AUTHORISED =
  'not authorised: open the address that `rsync-live serve` printed (it ends in #token=…)';

export function createHttpTransport(env: HttpTransportEnv): Transport {
  const token = readToken(env);
  const hub = new EventHub();
  const statusListeners = new Set<(status: ConnectionStatus) => void>();
  let status: ConnectionStatus = token ? 'connecting' : 'unauthorized';
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const setStatus = (next: ConnectionStatus): void => {
    if (next === status) return;
    status = next;
    for (const listener of [...statusListeners]) listener(next);
  };

  const call = async <M extends ApiMethod>(method: M, request?: ApiRequest<M>): Promise<ApiResponses[M]> => {
    if (!token) throw new ApiError('unavailable', NOT_AUTHORISED);
    let response: Response;
    try {
      response = await env.fetch(`/api/call/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(request ?? {}),
      });
    } catch (error) {
      throw new ApiError('unavailable', `cannot reach rsync-live: ${(error as Error).message}`);
    }
    if (response.status === 401) {
      setStatus('unauthorized');
      throw new ApiError('unavailable', NOT_AUTHORISED);
    }
    let envelope: ApiResult<unknown>;
    try {
      envelope = (await response.json()) as ApiResult<unknown>;
    } catch {
      throw new ApiError('internal', `rsync-live answered ${response.status} without a JSON body`);
    }
    return unwrap(envelope) as ApiResponses[M];
  };

  /** After a socket that never opened: a 401 from the API means the token is wrong, so stop retrying. */
  const tokenRejected = async (): Promise<boolean> => {
    try {
      const response = await env.fetch('/api/state', { headers: { Authorization: `Bearer ${token}` } });
      return response.status === 401;
    } catch {
      return false;
    }
  };

  const connect = (): void => {
    if (closed || !token) return;
    const scheme = env.location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new env.WebSocket(
      `${scheme}://${env.location.host}/api/events?token=${encodeURIComponent(token)}`,
    );
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      attempt = 0;
      setStatus('open');
    };
    ws.onmessage = (message: MessageEvent) => {
      try {
        const { event, payload } = JSON.parse(String(message.data)) as { event: string; payload: unknown };
        hub.emit(event, payload);
      } catch {
        console.error('rsync-live: ignored a malformed event message');
      }
    };
    ws.onclose = () => {
      if (socket !== ws || closed) return;
      socket = null;
      if (status !== 'unauthorized') setStatus('closed');
      const retry = (): void => {
        const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 10));
        attempt++;
        timer = setTimeout(connect, step / 2 + (Math.random() * step) / 2);
      };
      if (opened) retry();
      else
        void tokenRejected().then((rejected) => {
          if (rejected) setStatus('unauthorized');
          else retry();
        });
    };
  };
  connect();

  return {
    kind: 'http',
    call,
    on: (event, listener) => hub.on(event, listener),
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      socket?.close();
    },
  };
}
