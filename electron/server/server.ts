// The headless HTTP + WebSocket server behind `rsync-live serve`: GET /api/state, POST /api/call/<method>
// (the ApiResult envelope of callService), the /api/events WebSocket, and the built renderer as static files.
// Owns routing, the token/Host/Origin checks on every /api request, body limits and security headers; the app
// itself is the AppService it is given. Binds 127.0.0.1 unless told otherwise.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { callService, type AppService } from '../service/app-service.js';
import type { ApiErrorPayload } from '../shared/api.js';
import { createEventsSocket } from './events-socket.js';
import { bearerToken, hostAllowed, originAllowed, securityHeaders, tokensEqual } from './security.js';
import { serveStatic } from './static-files.js';

export interface ServerOptions {
  service: AppService;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Every /api request must carry it (Bearer header, or ?token= on the WebSocket). */
  token: string;
  /** The Vite build (renderer/dist); null or a folder without index.html serves a "run npm run build" page. */
  staticDir: string | null;
}

export interface RunningServer {
  /** http://HOST:PORT/ (without the token). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;

const STATUS_BY_KIND: Record<ApiErrorPayload['kind'], number> = {
  'invalid-request': 400,
  'bad-config': 400,
  'not-found': 404,
  unavailable: 503,
  internal: 500,
};

type ErrorKind = ApiErrorPayload['kind'] | 'unauthorized' | 'forbidden' | 'too-large' | 'method-not-allowed';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function rawPathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] as string;
}

function isApiPath(rawPath: string): boolean {
  return rawPath === '/api' || rawPath.startsWith('/api/');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { service, token } = options;
  if (token.length < 16) throw new Error('the server token must be at least 16 characters');
  const host = options.host ?? '127.0.0.1';
  const listen = { host, port: options.port };
  const staticDir = options.staticDir === null ? null : path.resolve(options.staticDir);
  const events = createEventsSocket(service);

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
    extra: Record<string, string> = {},
  ): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      ...extra,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      'Cache-Control': 'no-store',
    });
    res.end(text);
  };
  const sendError = (
    res: ServerResponse,
    status: number,
    kind: ErrorKind,
    message: string,
    headers: Record<string, string>,
    extra: Record<string, string> = {},
  ): void => sendJson(res, status, { ok: false, error: { kind, message } }, headers, extra);

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    headers: Record<string, string>,
  ): Promise<void> {
    const given = bearerToken(req.headers.authorization);
    if (given === null || !tokensEqual(given, token)) {
      return sendError(
        res,
        401,
        'unauthorized',
        'missing or wrong token: open the address that `rsync-live serve` printed (it carries the token)',
        headers,
        { 'WWW-Authenticate': 'Bearer realm="rsync-live"' },
      );
    }
    if (rawPath === '/api/state') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendError(res, 405, 'method-not-allowed', 'use GET /api/state', headers, {
          Allow: 'GET, HEAD',
        });
      }
      return sendJson(res, 200, service.state(), headers);
    }
    const call = /^\/api\/call\/([A-Za-z]+)$/.exec(rawPath);
    if (!call) return sendError(res, 404, 'not-found', `no API route ${rawPath}`, headers);
    if (req.method !== 'POST') {
      return sendError(res, 405, 'method-not-allowed', 'API calls are POST requests', headers, {
        Allow: 'POST',
      });
    }
    if (!originAllowed(req.headers.origin, req.headers.host as string)) {
      return sendError(res, 403, 'forbidden', 'cross-origin requests are refused', headers);
    }
    let request: unknown;
    try {
      const body = await readBody(req);
      request = body.trim() === '' ? undefined : JSON.parse(body);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        sendError(res, 413, 'too-large', `request body over ${MAX_BODY_BYTES} bytes`, headers, {
          Connection: 'close',
        });
        req.socket.destroySoon();
        return;
      }
      return sendError(res, 400, 'invalid-request', 'the request body is not valid JSON', headers);
    }
    const result = await callService(service, call[1], request);
    return sendJson(res, result.ok ? 200 : STATUS_BY_KIND[result.error.kind], result, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostHeader = req.headers.host;
    if (!hostAllowed(hostHeader, listen)) {
      return sendError(res, 403, 'forbidden', 'unexpected Host header', {});
    }
    const headers = securityHeaders(hostHeader as string);
    const rawPath = rawPathOf(req);
    if (isApiPath(rawPath)) return handleApi(req, res, rawPath, headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, 405, 'method-not-allowed', 'only GET and HEAD outside /api', headers, {
        Allow: 'GET, HEAD',
      });
    }
    return serveStatic(req, res, staticDir, rawPath, headers);
  }

  const refuseUpgrade = (socket: Duplex, status: string, message: string): void => {
    const body = JSON.stringify({ ok: false, error: { kind: 'unauthorized', message } });
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, 'internal', (error as Error).message, {});
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/events') return refuseUpgrade(socket, '404 Not Found', 'no such socket');
    if (!hostAllowed(req.headers.host, listen)) {
      return refuseUpgrade(socket, '403 Forbidden', 'unexpected Host header');
    }
    if (!originAllowed(req.headers.origin, req.headers.host as string)) {
      return refuseUpgrade(socket, '403 Forbidden', 'cross-origin WebSocket refused');
    }
    const given = url.searchParams.get('token');
    if (given === null || !tokensEqual(given, token)) {
      return refuseUpgrade(socket, '401 Unauthorized', 'missing or wrong token');
    }
    events.upgrade(req, socket, head);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  listen.port = port;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}/`,
    port,
    async close() {
      await events.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
