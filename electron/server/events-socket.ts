// The WebSocket side of the headless server: accepts upgrades on /api/events (already authorised by the
// caller), sends the current state on connect, then forwards every AppService event as `{event, payload}` JSON.
// Dead clients are found by ping/pong; slow clients skip progress messages (later ones supersede them).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { API_EVENTS, type ApiEventName, type ApiEvents } from '../shared/api.js';
import type { AppService } from '../service/app-service.js';

const HEARTBEAT_MS = 30_000;
/** Above this many unsent bytes a client gets no progress messages until it catches up. */
const SLOW_CLIENT_BYTES = 1024 * 1024;

export interface EventsSocket {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export function createEventsSocket(service: AppService): EventsSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const alive = new WeakMap<WebSocket, boolean>();

  const broadcast = (event: ApiEventName, payload: unknown): void => {
    const message = JSON.stringify({ event, payload });
    for (const client of wss.clients) {
      if (client.readyState !== WebSocket.OPEN) continue;
      const droppable = event === 'progress' || event === 'restoreProgress';
      if (droppable && client.bufferedAmount > SLOW_CLIENT_BYTES) continue;
      client.send(message);
    }
  };
  const listeners = API_EVENTS.map((event) => {
    const listener = (payload: ApiEvents[typeof event]): void => broadcast(event, payload);
    service.events.on(event, listener);
    return () => service.events.off(event, listener);
  });

  wss.on('connection', (client) => {
    alive.set(client, true);
    client.on('pong', () => alive.set(client, true));
    client.on('error', () => client.terminate());
    // The UI sends nothing over this socket; calls go through POST /api/call.
    client.on('message', () => undefined);
    client.send(JSON.stringify({ event: 'state', payload: service.state() }));
  });

  const heartbeat = setInterval(() => {
    for (const client of wss.clients) {
      if (alive.get(client) === false) {
        client.terminate();
        continue;
      }
      alive.set(client, false);
      client.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    upgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req));
    },
    async close() {
      clearInterval(heartbeat);
      for (const off of listeners) off();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
