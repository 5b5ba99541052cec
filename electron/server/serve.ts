// `rsync-live serve`: the engine, the pairs file (same JSON as `run --config`, edited by the UI), the 0600
// secrets file and the token beside it, and the web UI on loopback. Prints exactly one line on stdout (the
// address with the token in the fragment), warnings and engine errors on stderr; SIGINT/SIGTERM stop it cleanly.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/index.js';
import { AppService, headlessSettings } from '../service/app-service.js';
import { defaultConfigDir, defaultStateDir } from '../service/xdg-dirs.js';
import { FileSecretStore, JsonPairStore } from '../service/stores.js';
import { isLoopback, isWildcard } from './security.js';
import { startServer } from './server.js';
import { defaultStaticDir } from './static-files.js';
import { loadOrCreateToken } from './token-file.js';
import { untilStopSignal } from '../cli/stop-signal.js';

export interface ServeIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface ServeHooks {
  /** Resolves with a signal name when the server should stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<string>;
  /** Opens the address in a browser (default: xdg-open when a display is present). */
  open?: (url: string) => void;
  /** The renderer build to serve (default: renderer/dist). */
  staticDir?: string | null;
}

export const DEFAULT_PORT = 8787;

export class ServeUsageError extends Error {}

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || host === undefined || port > 65_535) {
    throw new ServeUsageError(`--listen takes HOST:PORT (e.g. 127.0.0.1:${DEFAULT_PORT}), got "${value}"`);
  }
  if (match[1] !== undefined && !net.isIPv6(host))
    throw new ServeUsageError(`--listen: "${host}" is not an IPv6 address`);
  return { host, port };
}

export function defaultConfigFile(env: NodeJS.ProcessEnv): string {
  return path.join(defaultConfigDir(env), 'config.json');
}

function openInBrowser(env: NodeJS.ProcessEnv): (url: string) => void {
  return (url) => {
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return;
    try {
      const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
    } catch {
      // no browser opener: the printed address is enough
    }
  };
}

interface ServeOptions {
  config: string | undefined;
  listen: { host: string; port: number };
  open: boolean;
  confirmDeletions: boolean;
  keepExisting: boolean;
}

export function parseServeArgs(argv: string[]): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
      'no-open': { type: 'boolean' },
      'confirm-deletions': { type: 'boolean' },
      'keep-existing': { type: 'boolean' },
    },
  });
  if (values['confirm-deletions'] && values['keep-existing'])
    throw new Error('--confirm-deletions and --keep-existing exclude each other');
  return {
    confirmDeletions: values['confirm-deletions'] ?? false,
    keepExisting: values['keep-existing'] ?? false,
    config: values.config,
    listen: values.listen ? parseListen(values.listen) : { host: '127.0.0.1', port: DEFAULT_PORT },
    open: !values['no-open'],
  };
}

/** Runs the server until a stop signal; returns the exit status. */
export async function runServe(argv: string[], io: ServeIo, hooks: ServeHooks = {}): Promise<number> {
  let options: ServeOptions;
  try {
    options = parseServeArgs(argv);
  } catch (error) {
    io.err(`rsync-live serve: ${(error as Error).message}`);
    io.err(
      'Usage: rsync-live serve [--config FILE] [--listen HOST:PORT] [--no-open] [--confirm-deletions | --keep-existing]',
    );
    return 2;
  }
  const { listen } = options;
  const configFile = options.config ? path.resolve(io.cwd, options.config) : defaultConfigFile(io.env);
  const dir = path.dirname(configFile);
  const token = await loadOrCreateToken(path.join(dir, 'serve-token'), io.err);

  const engine = new Engine({ stateDir: defaultStateDir(io.env) });
  engine.on('failure', ({ pairId, error }) => io.err(`error: [${pairId}] ${error.message}`));
  const secrets = new FileSecretStore(path.join(dir, 'secrets.json'));
  const service = new AppService({
    engine,
    pairs: new JsonPairStore(configFile),
    secrets,
    // Passwords persist (0600 file), no start at login, notifications stored but shown by the desktop app only.
    settings: headlessSettings(secrets),
  });
  await service.start({ confirmDeletions: options.confirmDeletions, keepExisting: options.keepExisting });

  let server;
  try {
    server = await startServer({
      service,
      host: listen.host,
      port: listen.port,
      token,
      staticDir: hooks.staticDir === undefined ? defaultStaticDir() : hooks.staticDir,
    });
  } catch (error) {
    await service.stop();
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${listen.host}:${listen.port}`;
    if (code === 'EADDRINUSE')
      io.err(`rsync-live serve: ${where} is in use: pick another port with --listen`);
    else if (code === 'EADDRNOTAVAIL')
      io.err(`rsync-live serve: ${listen.host} is not an address of this machine`);
    else io.err(`rsync-live serve: cannot listen on ${where}: ${(error as Error).message}`);
    return 1;
  }
  if (!isLoopback(listen.host)) {
    io.err(
      `warning: listening on ${listen.host}: the UI is reachable from the network (the token is still required, ` +
        'but the traffic is plain HTTP)',
    );
  }
  const shownHost = isWildcard(listen.host) || isLoopback(listen.host) ? '127.0.0.1' : listen.host;
  const address = `http://${net.isIPv6(shownHost) ? `[${shownHost}]` : shownHost}:${server.port}/#token=${token}`;
  io.out(address);
  if (options.open) (hooks.open ?? openInBrowser(io.env))(address);

  await (hooks.stopSignal ?? untilStopSignal());
  const stop = async (): Promise<void> => {
    await server.close();
    await service.stop();
  };
  await Promise.race([stop(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  return 0;
}
