// The socket plugin (sersync's deshost). Format "sersync": one TCP connection per changed path carrying the
// absolute path alone (no newline), then closed, byte for byte what sersync 2.5.4 sends. Formats "path" and
// "json": one persistent connection, one line per changed path, reconnecting when the listener went away.
// A send that fails is retried by the queue with backoff.
import net from 'node:net';
import type { SocketPluginConfig } from './config.js';
import type { Outcome } from './queue.js';
import type { PluginItem, PluginRunner } from './runner.js';

export function socketLine(item: PluginItem, format: 'path' | 'json'): string | null {
  if (format === 'json') {
    return `${JSON.stringify({ pair: item.pairId, path: item.path, abspath: item.abspath, change: item.change, dir: item.dir })}\n`;
  }
  // A raw newline would split the record in two: such names only travel in the json format.
  if (/[\n\r]/.test(item.abspath)) return null;
  return `${item.abspath}\n`;
}

export class SocketRunner implements PluginRunner {
  readonly #config: SocketPluginConfig;
  #socket: net.Socket | null = null;
  #connecting: Promise<net.Socket> | null = null;

  constructor(config: SocketPluginConfig) {
    this.#config = config;
  }

  get #where(): string {
    return `${this.#config.host}:${this.#config.port}`;
  }

  #connect(): Promise<net.Socket> {
    if (this.#socket && !this.#socket.destroyed && this.#socket.writable)
      return Promise.resolve(this.#socket);
    this.#connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.#config.host, port: this.#config.port });
      socket.setNoDelay(true);
      socket.setTimeout(this.#config.timeoutMs, () =>
        socket.destroy(new Error(`no answer within ${this.#config.timeoutMs} ms`)),
      );
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.on('error', () => {});
        const gone = (): void => {
          if (this.#socket === socket) this.#socket = null;
          socket.destroy();
        };
        // The listener closed its side: the next path opens a new connection instead of writing into the void.
        socket.on('end', gone);
        socket.on('close', gone);
        // Anything the listener sends back is read and ignored.
        socket.resume();
        this.#socket = socket;
        resolve(socket);
      });
      socket.once('error', (error) => reject(error));
    }).finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  /** sersync's framing: connect, write the absolute path, close. */
  async #sendOnce(item: PluginItem): Promise<Outcome> {
    const error = await new Promise<string | null>((resolve) => {
      const socket = net.connect({ host: this.#config.host, port: this.#config.port });
      socket.setNoDelay(true);
      socket.setTimeout(this.#config.timeoutMs, () => {
        socket.destroy();
        resolve(`no answer within ${this.#config.timeoutMs} ms`);
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      socket.once('connect', () => {
        socket.end(Buffer.from(item.abspath, 'utf8'), () => {
          socket.destroy();
          resolve(null);
        });
      });
    });
    if (error === null) return { ok: true };
    return {
      ok: false,
      retry: true,
      message: `cannot send to ${this.#where} (${error}): is the listener running and reachable?`,
    };
  }

  async run(item: PluginItem): Promise<Outcome> {
    if (this.#config.format === 'sersync') return this.#sendOnce(item);
    const line = socketLine(item, this.#config.format === 'json' ? 'json' : 'path');
    if (line === null) {
      return {
        ok: false,
        retry: false,
        message: `${JSON.stringify(item.path)} contains a newline and cannot be sent as one line: use format "json"`,
      };
    }
    try {
      const socket = await this.#connect();
      await new Promise<void>((resolve, reject) => {
        socket.write(line, (error) => (error ? reject(error) : resolve()));
      });
      return { ok: true };
    } catch (error) {
      this.#socket?.destroy();
      this.#socket = null;
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return {
        ok: false,
        retry: true,
        message: `cannot send to ${this.#where} (${code}): is the listener running and reachable?`,
      };
    }
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1_000);
      socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
