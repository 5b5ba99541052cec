// `rsync-live serve`: the engine, the pairs file (same JSON as `run --config`, edited by the UI), the 0600
// secrets file and the token beside it, and the web UI. Order matters: the config's lock first (one serve per
// config), then the port is bound, and only then does the engine start, so a port in use or a second serve
// never starts a second engine. Listens on loopback unless --allow-remote. The address with the token goes to
// the terminal and to a 0600 file (serve-url beside the config), never to a log: when stdout is not a terminal
// (a systemd journal) only the address without the token is printed. SIGINT/SIGTERM stop it within 10 s.
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../engine/index.js';
import { releaseMemoryAfterFullSyncs } from '../../engine/release-memory.js';
import { AppService, headlessSettings } from '../../service/app-service.js';
import { acquireLock } from '../../service/instance-lock.js';
import { defaultConfigDir, defaultStateDir } from '../../service/xdg-dirs.js';
import { FileSecretStore, JsonPairStore, writeFileAtomic } from '../../service/stores.js';
import { isLoopback, isWildcard } from '../../server/security.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { defaultStaticDir } from '../../server/static-files.js';
import { loadOrCreateToken } from '../../server/token-file.js';
import { EXIT, parseCommandArgs, UsageError, type Command } from '../command.js';
import { commandLine } from '../run-pairs.js';
import { stopWithin, untilStopSignal } from '../stop-signal.js';

export interface ServeIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Is stdout a terminal? false (a journal, a pipe): the token is not printed, only written to serve-url. */
  isTTY?: boolean;
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

export class ServeUsageError extends UsageError {}

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

export const SERVE_USAGE = `Usage: rsync-live serve [--config FILE] [--listen HOST:PORT] [--allow-remote] [--no-open]
The engine and the web UI: edit pairs in a browser, at the printed address (its #token=… is the key).

Options:
  -c, --config FILE      the pairs file (default ~/.config/rsync-live/config.json); secrets.json, serve-token
                         and serve-url live beside it
  --listen HOST:PORT     where the UI listens (default 127.0.0.1:${DEFAULT_PORT}; port 0 picks a free one)
  --allow-remote         allow a HOST other than loopback (e.g. 0.0.0.0): the UI and its token then travel over
                         plain HTTP on your network; prefer an SSH tunnel (ssh -L ${DEFAULT_PORT}:127.0.0.1:${DEFAULT_PORT} HOST)
  --no-open              do not open a browser
  --confirm-deletions    allow the deletions the delete guard held back, and on new pairs delete what a
                         target holds that the folder doesn't (mirror)
  --keep-existing        on new pairs, keep what a target already holds that the folder doesn't (merge)
  -h, --help             this help`;

interface ServeOptions {
  config: string | undefined;
  listen: { host: string; port: number };
  open: boolean;
  confirmDeletions: boolean;
  keepExisting: boolean;
}

export function parseServeArgs(argv: string[]): ServeOptions {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', short: 'c' },
    listen: { type: 'string' },
    'allow-remote': { type: 'boolean' },
    'no-open': { type: 'boolean' },
    'confirm-deletions': { type: 'boolean' },
    'keep-existing': { type: 'boolean' },
  });
  if (values['confirm-deletions'] && values['keep-existing'])
    throw new ServeUsageError('--confirm-deletions and --keep-existing exclude each other');
  const listen = values.listen ? parseListen(values.listen) : { host: '127.0.0.1', port: DEFAULT_PORT };
  if (!isLoopback(listen.host) && !values['allow-remote']) {
    throw new ServeUsageError(
      `--listen ${values.listen}: ${listen.host} is reachable from the network, where the UI and its token travel ` +
        'over plain HTTP. Add --allow-remote if that is what you want, or keep 127.0.0.1 and use an SSH tunnel ' +
        `(ssh -L ${DEFAULT_PORT}:127.0.0.1:${listen.port || DEFAULT_PORT} THIS-HOST)`,
    );
  }
  return {
    config: values.config,
    listen,
    open: !values['no-open'],
    confirmDeletions: values['confirm-deletions'] ?? false,
    keepExisting: values['keep-existing'] ?? false,
  };
}

/** The addresses a browser can use to reach `host` (every address of this machine for a wildcard). */
export function reachableHosts(host: string): string[] {
  if (!isWildcard(host)) return [isLoopback(host) && host !== '::1' ? '127.0.0.1' : host];
  const v6 = host.includes(':');
  const hosts = ['127.0.0.1'];
  for (const entries of Object.values(os.networkInterfaces()))
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.family === 'IPv4' || (v6 && entry.family === 'IPv6' && !entry.address.startsWith('fe80')))
        hosts.push(entry.address);
    }
  return hosts;
}

function urlFor(host: string, port: number): string {
  return `http://${net.isIPv6(host) ? `[${host}]` : host}:${port}/`;
}

function bindError(error: unknown, where: string, host: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return `${where} is in use (another serve, or another program): pick another port with --listen`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine`;
  return `cannot listen on ${where}: ${(error as Error).message}`;
}

/** Runs the server until a stop signal; returns the exit status. */
export async function runServe(argv: string[], io: ServeIo, hooks: ServeHooks = {}): Promise<number> {
  let options: ServeOptions;
  try {
    options = parseServeArgs(argv);
  } catch (error) {
    io.err(`rsync-live serve: ${(error as Error).message}`);
    io.err('Usage: rsync-live serve [--config FILE] [--listen HOST:PORT] [--allow-remote] [--no-open]');
    return EXIT.usage;
  }
  const { listen } = options;
  const configFile = options.config ? path.resolve(io.cwd, options.config) : defaultConfigFile(io.env);
  const dir = path.dirname(configFile);
  const lock = await acquireLock(dir, `serve\0${configFile}`, {
    what: `the serve config ${configFile}`,
    command: commandLine(),
  });
  try {
    const token = await loadOrCreateToken(path.join(dir, 'serve-token'), io.err);
    const engine = new Engine({ stateDir: defaultStateDir(io.env) });
    engine.on('failure', ({ pairId, error }) => io.err(`error: [${pairId}] ${error.message}`));
    const stopRelease = releaseMemoryAfterFullSyncs(engine);
    const secrets = new FileSecretStore(path.join(dir, 'secrets.json'));
    const service = new AppService({
      engine,
      pairs: new JsonPairStore(configFile),
      secrets,
      // Passwords persist (0600 file), no start at login, notifications stored but shown by the desktop app only.
      settings: headlessSettings(secrets),
    });

    let server: RunningServer;
    try {
      server = await startServer({
        service,
        host: listen.host,
        port: listen.port,
        token,
        staticDir: hooks.staticDir === undefined ? defaultStaticDir() : hooks.staticDir,
      });
    } catch (error) {
      io.err(`rsync-live serve: ${bindError(error, `${listen.host}:${listen.port}`, listen.host)}`);
      return EXIT.failure;
    }
    await service.start({ confirmDeletions: options.confirmDeletions, keepExisting: options.keepExisting });
    if (!isLoopback(listen.host)) {
      io.err(
        `warning: listening on ${listen.host} (--allow-remote): the UI is reachable from the network; the token is ` +
          'required, but the traffic is plain HTTP',
      );
    }
    const urls = reachableHosts(listen.host).map((host) => urlFor(host, server.port));
    const urlFile = path.join(dir, 'serve-url');
    await writeFileAtomic(urlFile, urls.map((url) => `${url}#token=${token}\n`).join(''), 0o600);
    const first = `${urls[0] as string}#token=${token}`;
    if (io.isTTY === false) {
      io.out(`${urls.join(' ')} (the address with its token is in ${urlFile}, mode 600)`);
    } else {
      for (const url of urls) io.out(`${url}#token=${token}`);
    }
    if (options.open) (hooks.open ?? openInBrowser(io.env))(first);

    await (hooks.stopSignal ?? untilStopSignal());
    stopRelease();
    await stopWithin(async () => {
      await server.close();
      await service.stop();
    });
    return EXIT.ok;
  } finally {
    await lock.release();
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'rsync-live serve [--config FILE] [--listen 127.0.0.1:PORT] [--no-open]   engine + web UI',
  usage: SERVE_USAGE,
  run: (argv, io) => runServe(argv, io),
};
