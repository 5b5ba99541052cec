// The cdn plugin (sersync's refreshCDN, on the wire as sersync 2.5.4 sends it): per changed path one TCP
// connection to host:port carrying `HEAD /index.jsp?user=U&pswd=P&ok=ok&urls=URL HTTP/1.0\r\nHost: HOST\r\n\r\n`
// (`&dirs=URL/` for a directory), the answer read and its status checked. sersync wrote every byte raw; only
// bytes that would break the request line or the query (controls, space, "%", "#", "&", "+") are
// percent-encoded, once. The password never reaches the log.
import net from 'node:net';
import type { CdnPluginConfig } from './config.js';
import type { Outcome } from './queue.js';
import type { PluginItem, PluginRunner } from './runner.js';

/** Percent-encodes what would break a raw HTTP/1.0 request line or a query value; everything else stays raw. */
export function cdnEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    out +=
      code <= 0x20 || code === 0x7f || '%#&+'.includes(ch)
        ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
        : ch;
  }
  return out;
}

/**
 * The URL to refresh for one path, or null when `match` is set and does not match the absolute path. Without
 * `match`: base + "/" + the path relative to the plugin folder. With it: base + group 1 + the text after the
 * whole match (sersync's `what[1] + what.suffix()`). Directories get a trailing "/".
 */
export function cdnUrl(config: Pick<CdnPluginConfig, 'base' | 'match'>, item: PluginItem): string | null {
  let url: string;
  if (config.match !== null) {
    const m = new RegExp(config.match, 'u').exec(item.abspath);
    if (!m) return null;
    url = config.base + (m[1] ?? '') + item.abspath.slice(m.index + m[0].length);
  } else {
    url = `${config.base}/${item.path}`;
  }
  return item.dir ? `${url}/` : url;
}

/** The request bytes for one path (null: `match` misses it). */
export function cdnRequest(config: CdnPluginConfig, item: PluginItem): string | null {
  const url = cdnUrl(config, item);
  if (url === null) return null;
  const query = `user=${cdnEncode(config.username)}&pswd=${cdnEncode(config.passwd)}&ok=ok&${item.dir ? 'dirs' : 'urls'}=${cdnEncode(url)}`;
  return `HEAD /index.jsp?${query} HTTP/1.0\r\nHost: ${config.host}\r\n\r\n`;
}

export class CdnRunner implements PluginRunner {
  readonly #config: CdnPluginConfig;

  constructor(config: CdnPluginConfig) {
    this.#config = config;
    if (config.match !== null) new RegExp(config.match, 'u');
  }

  async run(item: PluginItem, signal: AbortSignal): Promise<Outcome> {
    const request = cdnRequest(this.#config, item);
    if (request === null) return { ok: true };
    const where = `${this.#config.host}:${this.#config.port}`;
    const answer = await new Promise<{ error: string | null; head: string }>((resolve) => {
      let head = '';
      let settled = false;
      const socket = net.connect({ host: this.#config.host, port: this.#config.port });
      const done = (error: string | null): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve({ error, head });
      };
      const onAbort = (): void => done('stopped (shutting down)');
      signal.addEventListener('abort', onAbort, { once: true });
      socket.setTimeout(this.#config.timeoutMs, () => done(`no answer within ${this.#config.timeoutMs} ms`));
      socket.once('connect', () => socket.end(Buffer.from(request, 'utf8')));
      socket.on('data', (chunk: Buffer) => {
        if (head.length < 4_096) head += chunk.toString('latin1');
      });
      socket.once('end', () => done(null));
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    });
    const what = `refresh of ${JSON.stringify(item.path)} at ${where}`;
    if (answer.error !== null) {
      return {
        ok: false,
        retry: !signal.aborted,
        message: `${what} failed (${answer.error}): is the CDN interface (cdninfo domainname/port) reachable?`,
      };
    }
    const status = /^HTTP\/\d\.\d (\d{3})/.exec(answer.head)?.[1];
    if (status === undefined || Number(status) < 400) return { ok: true };
    const code = Number(status);
    const retry = code === 429 || code >= 500;
    return {
      ok: false,
      retry,
      message: `${what} answered ${status}${retry ? '' : ': check cdninfo username and passwd'}`,
    };
  }

  async close(): Promise<void> {}
}
