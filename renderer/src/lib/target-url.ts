// Builds an rsync daemon URL from the form's fields (host, port, module, sub-path, user) and splits a stored
// URL back into them. Anything that is not a daemon target (ssh, local directory) stays an "advanced" URL.

export const DEFAULT_DAEMON_PORT = 873;

export interface DaemonFields {
  host: string;
  port: number | null;
  module: string;
  subPath: string;
  user: string;
}

function cleanSubPath(subPath: string): string {
  return subPath.trim().replace(/^\/+|\/+$/g, '');
}

export function buildDaemonUrl(fields: DaemonFields): string {
  const host = fields.host.trim();
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const user = fields.user.trim() ? `${fields.user.trim()}@` : '';
  const port = fields.port !== null && fields.port !== DEFAULT_DAEMON_PORT ? `:${fields.port}` : '';
  const sub = cleanSubPath(fields.subPath);
  return `rsync://${user}${shownHost}${port}/${fields.module.trim()}${sub ? `/${sub}` : ''}`;
}

const URL_FORM =
  /^rsync:\/\/(?:([^@/:\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^/:[\]\s]+)(?::(\d+))?\/([^/]+)(?:\/(.*))?$/;
const DOUBLE_COLON_FORM = /^(?:([^@/:\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^/:[\]\s]+)::([^/]+)(?:\/(.*))?$/;

/** The daemon fields of a stored URL, or null when it is not a daemon target. */
export function parseDaemonUrl(url: string): DaemonFields | null {
  const text = url.trim();
  const m = URL_FORM.exec(text);
  if (m) {
    return {
      user: m[1] ?? '',
      host: (m[2] as string).replace(/^\[|\]$/g, ''),
      port: m[3] === undefined ? DEFAULT_DAEMON_PORT : Number(m[3]),
      module: m[4] as string,
      subPath: cleanSubPath(m[5] ?? ''),
    };
  }
  const d = DOUBLE_COLON_FORM.exec(text);
  if (d) {
    return {
      user: d[1] ?? '',
      host: (d[2] as string).replace(/^\[|\]$/g, ''),
      port: DEFAULT_DAEMON_PORT,
      module: d[3] as string,
      subPath: cleanSubPath(d[4] ?? ''),
    };
  }
  return null;
}
