// Parses a target as the user typed it (rsync's own destination syntaxes) into a typed description, and
// renders the destination argument rsync needs. Never holds a password: a URL with one is refused (without
// echoing it) before anything else.
import { redactUrl, splitUrlPassword, URL_PASSWORD_MESSAGE } from '../../shared/url-password.js';

export type Target =
  | { kind: 'daemon'; user: string | null; host: string; port: number | null; module: string; path: string }
  | { kind: 'ssh'; user: string | null; host: string; path: string }
  | { kind: 'local'; path: string };

export class TargetSyntaxError extends Error {}

const HOST = String.raw`(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)`;
const USER = String.raw`(?:([^@/:\s]+)@)?`;
const DAEMON_URL = new RegExp(String.raw`^rsync://${USER}${HOST}(?::(\d+))?/([^/]+)(?:/(.*))?$`);
const DAEMON_DOUBLE_COLON = new RegExp(String.raw`^${USER}${HOST}::([^/]+)(?:/(.*))?$`);
const SSH = new RegExp(String.raw`^${USER}${HOST}:(?!:)(.*)$`);

function cleanPath(path: string | undefined): string {
  return (path ?? '').replace(/\/+$/, '').replace(/^\/+/, '');
}

function checkModule(module: string, input: string): string {
  if (module.startsWith(':'))
    throw new TargetSyntaxError(
      `target ${input} is malformed: a daemon target has exactly two colons, host::module[/path]`,
    );
  if (/[\s#:]/.test(module))
    throw new TargetSyntaxError(`target ${input}: module name ${JSON.stringify(module)} is not valid`);
  return module;
}

/** A sub-path inside a module never climbs out of it: ".." parts are refused. */
function checkSubPath(subPath: string, input: string): string {
  if (subPath.split('/').includes('..'))
    throw new TargetSyntaxError(
      `target ${input}: the path inside the module has a ".." part: give the path below the module without ".."`,
    );
  return subPath;
}

export function parseTarget(input: string): Target {
  const text = input.trim();
  if (text === '')
    throw new TargetSyntaxError('target is empty: give rsync://[user@]host[:port]/module[/path]');
  if (splitUrlPassword(text).password !== null)
    throw new TargetSyntaxError(
      `target ${redactUrl(text)}: ${URL_PASSWORD_MESSAGE}; give the password separately (a password file or RSYNC_PASSWORD)`,
    );
  if (text.startsWith('/')) return { kind: 'local', path: text.replace(/\/+$/, '') || '/' };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text) ?? /^(rsync):\/(?!\/)/i.exec(text);
  if (scheme && !text.startsWith('rsync://')) {
    const hint = scheme[1]?.toLowerCase() === 'rsync' ? ' (rsync URLs start with two slashes: rsync://)' : '';
    throw new TargetSyntaxError(
      `target ${input}: "${scheme[1]}:/" URLs are not supported${hint}; use rsync://[user@]host[:port]/module[/path], [user@]host::module[/path], [user@]host:path (ssh) or an absolute local directory`,
    );
  }
  if (text.startsWith('rsync://')) {
    const m = DAEMON_URL.exec(text);
    if (!m) {
      throw new TargetSyntaxError(
        `target ${input} is not a valid rsync daemon URL: use rsync://[user@]host[:port]/module[/path]`,
      );
    }
    const port = m[3] === undefined ? null : Number(m[3]);
    if (port !== null && (port < 1 || port > 65_535)) {
      throw new TargetSyntaxError(`target ${input}: port ${m[3]} is out of range (1-65535)`);
    }
    return {
      kind: 'daemon',
      user: m[1] ?? null,
      host: m[2] as string,
      port,
      module: checkModule(m[4] as string, input),
      path: checkSubPath(cleanPath(m[5]), input),
    };
  }
  let m = DAEMON_DOUBLE_COLON.exec(text);
  if (m)
    return {
      kind: 'daemon',
      user: m[1] ?? null,
      host: m[2] as string,
      port: null,
      module: checkModule(m[3] as string, input),
      path: checkSubPath(cleanPath(m[4]), input),
    };
  m = SSH.exec(text);
  if (m && m[3] !== undefined) return { kind: 'ssh', user: m[1] ?? null, host: m[2] as string, path: m[3] };
  throw new TargetSyntaxError(
    `target ${input} is not understood: use rsync://[user@]host[:port]/module[/path], [user@]host::module[/path], [user@]host:path or an absolute local directory`,
  );
}

/** The destination argument for rsync, always ending in "/" so the folder's contents land inside it. */
export function destinationArg(target: Target): string {
  switch (target.kind) {
    case 'local':
      return target.path === '/' ? '/' : `${target.path}/`;
    case 'ssh': {
      const user = target.user ? `${target.user}@` : '';
      const path = target.path === '' ? '' : target.path.endsWith('/') ? target.path : `${target.path}/`;
      return `${user}${target.host}:${path}`;
    }
    case 'daemon': {
      const user = target.user ? `${target.user}@` : '';
      const port = target.port === null ? '' : `:${target.port}`;
      const path = target.path === '' ? '' : `${target.path}/`;
      return `rsync://${user}${target.host}${port}/${target.module}/${path}`;
    }
  }
}

/** How the target is named in messages: host::module/path, user@host:path or the directory. */
export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'local':
      return target.path;
    case 'ssh':
      return `${target.user ? `${target.user}@` : ''}${target.host}:${target.path}`;
    case 'daemon':
      return `${target.host}${target.port === null ? '' : `:${target.port}`}::${target.module}${target.path ? `/${target.path}` : ''}`;
  }
}
