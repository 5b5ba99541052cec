// The http plugin (sersync's refreshCDN, generalized): one request per changed path to a URL built from
// templates, with a timeout; network errors, 429 and 5xx are retried by the queue, other statuses are not.
// Credentials in URLs never reach the log: only scheme, host and path are shown.
import type { HttpPluginConfig } from './config.js';
import type { Outcome } from './queue.js';
import type { PluginItem, PluginRunner } from './runner.js';
import { expandTemplate, matchValues, templateFields, type TemplateValues } from './template.js';

/** "http://host:port/path" without user info, query or fragment. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export interface HttpRequestSpec {
  method: HttpPluginConfig['method'];
  url: string;
  body: string | null;
}

export class HttpRunner implements PluginRunner {
  readonly #config: HttpPluginConfig;
  readonly #match: RegExp | null;

  constructor(config: HttpPluginConfig) {
    this.#config = config;
    this.#match = config.match === undefined ? null : new RegExp(config.match, 'du');
    for (const template of [config.url, config.dirUrl, config.item, config.body]) {
      if (template !== undefined) templateFields(template);
    }
  }

  /** The request for one path, or null when `match` does not match it. */
  request(item: PluginItem): HttpRequestSpec | null {
    let values: TemplateValues = {
      path: item.path,
      abspath: item.abspath,
      change: item.change,
      type: item.dir ? 'dir' : 'file',
      pair: item.pairId,
    };
    if (this.#match) {
      const matched = matchValues(this.#match, item.abspath);
      if (!matched) return null;
      values = { ...values, ...matched };
    }
    if (this.#config.item !== undefined) values.item = expandTemplate(this.#config.item, values, 'url');
    const template = item.dir && this.#config.dirUrl !== undefined ? this.#config.dirUrl : this.#config.url;
    return {
      method: this.#config.method,
      url: expandTemplate(template, values, 'url'),
      body: this.#config.body === undefined ? null : expandTemplate(this.#config.body, values, 'raw'),
    };
  }

  async run(item: PluginItem, signal: AbortSignal): Promise<Outcome> {
    const spec = this.request(item);
    if (!spec) return { ok: true };
    const where = `${spec.method} ${safeUrl(spec.url)}`;
    let response: Response;
    try {
      response = await fetch(spec.url, {
        method: spec.method,
        headers: this.#config.headers,
        ...(spec.body !== null && spec.method !== 'GET' && spec.method !== 'HEAD' ? { body: spec.body } : {}),
        redirect: 'follow',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#config.timeoutMs)]),
      });
    } catch (error) {
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      const name = (error as Error).name;
      const why =
        name === 'TimeoutError'
          ? `no answer within ${this.#config.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (error as Error).message);
      return {
        ok: false,
        retry: !signal.aborted,
        message: `${where} for ${JSON.stringify(item.path)} failed (${why})`,
      };
    }
    await response.body?.cancel().catch(() => {});
    if (response.ok) return { ok: true };
    const retry = response.status === 429 || response.status >= 500;
    return {
      ok: false,
      retry,
      message: `${where} for ${JSON.stringify(item.path)} answered ${response.status} ${response.statusText}${
        retry ? '' : ': check the URL and its credentials'
      }`,
    };
  }

  async close(): Promise<void> {}
}
