// What the renderer expects of a transport: the shared ApiClient plus which kind it is (Electron IPC or the
// headless server) and the connection status, so the UI can say when it is offline.
import {
  ApiError,
  type ApiClient,
  type ApiErrorPayload,
  type ApiResult,
} from '../../../../electron/shared/api.ts';

export type ConnectionStatus = 'connecting' | 'open' | 'closed' | 'unauthorized';

export interface Transport extends ApiClient {
  readonly kind: 'ipc' | 'http';
  /** Calls the listener with the current status at once, then on every change. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  close(): void;
}

const KINDS: readonly ApiErrorPayload['kind'][] = [
  'invalid-request',
  'not-found',
  'bad-config',
  'unavailable',
  'internal',
];

/** The value of an ApiResult envelope, or the ApiError it carries. */
export function unwrap(result: ApiResult<unknown>): unknown {
  if (result.ok) return result.value;
  const kind = KINDS.includes(result.error.kind) ? result.error.kind : 'internal';
  throw new ApiError(kind, result.error.message, result.error.issues);
}
