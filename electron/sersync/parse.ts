// Reads sersync 2.5's confxml.xml into a typed, located document: every element and attribute sersync knew
// (plus rsync-live's few documented extensions) is checked against the schema below. Unknown or malformed
// elements and attributes are errors with their line; obsolete elements (host, debug, fileSystem) and stray
// text are warnings saying why they are ignored. No mapping decisions here: see map.ts.
import { parseXml, SersyncConfigError, type XmlAttr, type XmlElement } from './xml.js';

export const INOTIFY_TOGGLES = [
  'delete',
  'createFolder',
  'createFile',
  'closeWrite',
  'moveFrom',
  'moveTo',
  'attrib',
  'modify',
] as const;
export type InotifyToggle = (typeof INOTIFY_TOGGLES)[number];

export const PLUGIN_NAMES = ['command', 'socket', 'refreshCDN', 'http'] as const;
export type SersyncPluginName = (typeof PLUGIN_NAMES)[number];

export interface Loc {
  line: number;
}

export interface Expression extends Loc {
  expression: string;
}

export interface Remote extends Loc {
  ip: string;
  name: string;
  /** rsync-live extension: this remote's daemon port (sersync had one port for all remotes). */
  port: number | null;
}

export interface LocalPath extends Loc {
  watch: string;
  remotes: Remote[];
}

export interface CommandPlugin extends Loc {
  name: 'command';
  param: (Loc & { prefix: string; suffix: string; ignoreError: boolean }) | null;
  filter: (Loc & { start: boolean; includes: Expression[] }) | null;
}

export interface DesHost extends Loc {
  ip: string;
  port: number;
  /** http plugin (rsync-live): request path on the host, default "/". */
  path?: string;
}

export interface SocketPlugin extends Loc {
  name: 'socket';
  localpaths: (Loc & { watch: string; deshosts: DesHost[] })[];
}

export interface RefreshCdnPlugin extends Loc {
  name: 'refreshCDN';
  localpaths: (Loc & {
    watch: string;
    cdninfo: (Loc & { domainname: string; port: number; username: string; passwd: string }) | null;
    sendurl: (Loc & { base: string }) | null;
    regexurl: (Loc & { regex: boolean; match: string }) | null;
  })[];
}

export interface HttpPlugin extends Loc {
  name: 'http';
  localpaths: (Loc & {
    watch: string;
    deshosts: DesHost[];
    requests: (Loc & { url: string; method: string; body: string | null })[];
  })[];
}

export type SersyncPlugin = CommandPlugin | SocketPlugin | RefreshCdnPlugin | HttpPlugin;

export interface SersyncDocument {
  file: string;
  filter: (Loc & { start: boolean; excludes: Expression[] }) | null;
  inotify: Partial<Record<InotifyToggle, Loc & { start: boolean }>>;
  localpaths: LocalPath[];
  rsync: {
    commonParams: (Loc & { params: string }) | null;
    auth: (Loc & { start: boolean; users: string; passwordfile: string }) | null;
    userDefinedPort: (Loc & { start: boolean; port: number | null }) | null;
    timeout: (Loc & { start: boolean; time: number | null }) | null;
    ssh: (Loc & { start: boolean }) | null;
  };
  failLog: (Loc & { path: string; timeToExecute: number | null }) | null;
  crontab:
    | (Loc & {
        start: boolean;
        schedule: number | null;
        filter: (Loc & { start: boolean; excludes: Expression[] }) | null;
      })
    | null;
  /** `<sersync><plugin start name>`: which plugins run after each sync. */
  pluginSwitches: (Loc & { start: boolean; name: string })[];
  /** Top-level `<plugin name>` definitions. */
  plugins: SersyncPlugin[];
  warnings: string[];
}

// ---------- the schema ----------

type AttrKind = 'bool' | 'int' | 'string';

interface Spec {
  attrs?: Record<string, AttrKind>;
  required?: string[];
  children?: Record<string, Spec & { multiple?: boolean }>;
  /** Ignored with this warning. */
  obsolete?: string;
}

const START: Spec = { attrs: { start: 'bool' }, required: ['start'] };
const EXCLUDE: Spec & { multiple: true } = {
  attrs: { expression: 'string' },
  required: ['expression'],
  multiple: true,
};

const HEAD: Spec = {
  attrs: { version: 'string' },
  children: {
    host: {
      attrs: { hostip: 'string', port: 'string' },
      obsolete:
        'a field sersync reserved for plugins and never used; rsync-live needs no control port (use `rsync-live serve` for a UI)',
    },
    debug: {
      attrs: { start: 'bool' },
      obsolete:
        'rsync-live always logs one line per rsync run and every error with what to do (add -q for errors only)',
    },
    fileSystem: {
      attrs: { xfs: 'bool' },
      obsolete:
        'sersync needed it on XFS, whose directory entries may not carry file types; rsync-live reads file types with lstat when the filesystem does not provide them',
    },
    filter: { attrs: { start: 'bool' }, required: ['start'], children: { exclude: EXCLUDE } },
    inotify: { children: Object.fromEntries(INOTIFY_TOGGLES.map((name) => [name, START])) },
    sersync: {
      children: {
        localpath: {
          attrs: { watch: 'string' },
          required: ['watch'],
          multiple: true,
          children: {
            remote: {
              attrs: { ip: 'string', name: 'string', port: 'int' },
              required: ['ip', 'name'],
              multiple: true,
            },
          },
        },
        rsync: {
          children: {
            commonParams: { attrs: { params: 'string' }, required: ['params'] },
            auth: {
              attrs: { start: 'bool', users: 'string', passwordfile: 'string' },
              required: ['start'],
            },
            userDefinedPort: { attrs: { start: 'bool', port: 'int' }, required: ['start'] },
            timeout: { attrs: { start: 'bool', time: 'int' }, required: ['start'] },
            ssh: START,
          },
        },
        failLog: { attrs: { path: 'string', timeToExecute: 'int' }, required: ['path'] },
        crontab: {
          attrs: { start: 'bool', schedule: 'int' },
          required: ['start'],
          children: { crontabfilter: { ...START, children: { exclude: EXCLUDE } } },
        },
        plugin: { attrs: { start: 'bool', name: 'string' }, required: ['start', 'name'], multiple: true },
      },
    },
    plugin: { attrs: { name: 'string' }, required: ['name'], multiple: true },
  },
};

const DESHOST: Spec & { multiple: true } = {
  attrs: { ip: 'string', port: 'int' },
  required: ['ip', 'port'],
  multiple: true,
};

const PLUGIN_SPECS: Record<SersyncPluginName, Spec> = {
  command: {
    attrs: { name: 'string' },
    children: {
      param: { attrs: { prefix: 'string', suffix: 'string', ignoreError: 'bool' }, required: ['prefix'] },
      filter: {
        attrs: { start: 'bool' },
        required: ['start'],
        children: { include: { ...EXCLUDE } },
      },
    },
  },
  socket: {
    attrs: { name: 'string' },
    children: {
      localpath: {
        attrs: { watch: 'string' },
        required: ['watch'],
        multiple: true,
        children: { deshost: DESHOST },
      },
    },
  },
  refreshCDN: {
    attrs: { name: 'string' },
    children: {
      localpath: {
        attrs: { watch: 'string' },
        required: ['watch'],
        multiple: true,
        children: {
          cdninfo: {
            attrs: { domainname: 'string', port: 'int', username: 'string', passwd: 'string' },
            required: ['domainname'],
          },
          sendurl: { attrs: { base: 'string' }, required: ['base'] },
          regexurl: { attrs: { regex: 'bool', match: 'string' }, required: ['regex'] },
        },
      },
    },
  },
  http: {
    attrs: { name: 'string' },
    children: {
      localpath: {
        attrs: { watch: 'string' },
        required: ['watch'],
        multiple: true,
        children: {
          deshost: { ...DESHOST, attrs: { ip: 'string', port: 'int', path: 'string' } },
          request: {
            attrs: { url: 'string', method: 'string', body: 'string' },
            required: ['url'],
            multiple: true,
          },
        },
      },
    },
  },
};

// ---------- checking ----------

class Checker {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  error(line: number | null, message: string, column: number | null = null): SersyncConfigError {
    return new SersyncConfigError(this.file, line, column, message);
  }

  warn(line: number, message: string): void {
    this.warnings.push(`${this.file}:${line}: ${message}`);
  }

  /** Checks attributes and children against `spec`; returns false when the element is obsolete. */
  check(element: XmlElement, spec: Spec, parent: string | null): boolean {
    canonicalNames(element, spec);
    const where = parent ? `<${element.name}> inside <${parent}>` : `<${element.name}>`;
    if (spec.obsolete) {
      this.warn(element.line, `${where} is ignored: ${spec.obsolete}`);
      return false;
    }
    const known = spec.attrs ?? {};
    for (const [name, attr] of element.attrs) {
      const kind = known[name];
      if (!kind) {
        const list = Object.keys(known);
        throw this.error(
          attr.line,
          `${where} has no attribute "${name}"${list.length > 0 ? `: it takes ${list.map((a) => `"${a}"`).join(', ')}` : ''}`,
          attr.column,
        );
      }
      if (kind === 'bool' && attr.value !== 'true' && attr.value !== 'false') {
        this.warn(
          attr.line,
          `${name}="${attr.value}" on ${where} counts as "false": sersync switched a setting on only for the exact value "true" (write "true" to switch it on, "false" to say off)`,
        );
      }
      if (kind === 'int' && !/^\d{1,9}$/.test(attr.value.trim())) {
        throw this.error(
          attr.line,
          `${name}="${attr.value}" on ${where}: expected a whole number`,
          attr.column,
        );
      }
    }
    for (const name of spec.required ?? []) {
      if (!element.attrs.has(name)) {
        throw this.error(element.line, `${where} needs the attribute ${name}="…"`, element.column);
      }
    }
    for (const text of element.text) {
      this.warn(
        text.line,
        `text ${JSON.stringify(text.text.length > 40 ? `${text.text.slice(0, 40)}…` : text.text)} inside <${element.name}> is ignored (comments belong in <!-- -->)`,
      );
    }
    const children = spec.children ?? {};
    const seen = new Map<string, number>();
    for (const child of element.children) {
      const childSpec = children[child.name];
      if (!childSpec) {
        const list = Object.keys(children);
        throw this.error(
          child.line,
          `unknown element <${child.name}> inside <${element.name}>${
            list.length > 0 ? `: expected ${list.map((c) => `<${c}>`).join(', ')}` : ': it takes no elements'
          }`,
          child.column,
        );
      }
      const first = seen.get(child.name);
      if (first !== undefined && !childSpec.multiple) {
        throw this.error(
          child.line,
          `<${child.name}> appears twice inside <${element.name}> (first on line ${first}): keep one`,
          child.column,
        );
      }
      seen.set(child.name, child.line);
      if (element.name === 'head' && child.name === 'plugin') continue; // checked by plugin name below
      this.check(child, childSpec, element.name);
    }
    return true;
  }
}

/**
 * sersync's XML reader compared element and attribute names without case (xmlParser.cpp xstricmp): rename
 * them to the schema's spelling, so "<Delete START=…>" reads as "<delete start=…>".
 */
function canonicalNames(element: XmlElement, spec: Spec): void {
  const attrNames = new Map(Object.keys(spec.attrs ?? {}).map((n) => [n.toLowerCase(), n]));
  const renamed = new Map<string, XmlAttr>();
  for (const [name, value] of element.attrs) renamed.set(attrNames.get(name.toLowerCase()) ?? name, value);
  element.attrs = renamed;
  const childNames = new Map(Object.keys(spec.children ?? {}).map((n) => [n.toLowerCase(), n]));
  for (const child of element.children) child.name = childNames.get(child.name.toLowerCase()) ?? child.name;
}

function attr(element: XmlElement, name: string): string | undefined {
  return element.attrs.get(name)?.value;
}

function bool(element: XmlElement, name: string, fallback = false): boolean {
  const value = attr(element, name);
  return value === undefined ? fallback : value === 'true';
}

function int(element: XmlElement, name: string): number | null {
  const value = attr(element, name);
  return value === undefined ? null : Number(value.trim());
}

function str(element: XmlElement, name: string): string {
  return attr(element, name) ?? '';
}

function all(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((child) => child.name === name) : [];
}

function one(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((child) => child.name === name);
}

function expressions(element: XmlElement | undefined, name: string): Expression[] {
  return all(element, name).map((e) => ({ line: e.line, expression: str(e, 'expression') }));
}

function parsePlugin(element: XmlElement, checker: Checker): SersyncPlugin {
  canonicalNames(element, { attrs: { name: 'string' } });
  const name = str(element, 'name');
  if (!(PLUGIN_NAMES as readonly string[]).includes(name)) {
    throw checker.error(
      element.line,
      `unknown plugin name "${name}": sersync's plugins are ${PLUGIN_NAMES.map((p) => `"${p}"`).join(', ')}`,
      element.column,
    );
  }
  const pluginName = name as SersyncPluginName;
  checker.check(element, PLUGIN_SPECS[pluginName], 'head');
  const line = element.line;
  switch (pluginName) {
    case 'command': {
      const param = one(element, 'param');
      const filter = one(element, 'filter');
      return {
        name: 'command',
        line,
        param: param
          ? {
              line: param.line,
              prefix: str(param, 'prefix'),
              suffix: str(param, 'suffix'),
              ignoreError: bool(param, 'ignoreError'),
            }
          : null,
        filter: filter
          ? { line: filter.line, start: bool(filter, 'start'), includes: expressions(filter, 'include') }
          : null,
      };
    }
    case 'socket':
      return {
        name: 'socket',
        line,
        localpaths: all(element, 'localpath').map((lp) => ({
          line: lp.line,
          watch: str(lp, 'watch'),
          deshosts: all(lp, 'deshost').map((d) => ({
            line: d.line,
            ip: str(d, 'ip'),
            port: int(d, 'port') ?? 0,
          })),
        })),
      };
    case 'refreshCDN':
      return {
        name: 'refreshCDN',
        line,
        localpaths: all(element, 'localpath').map((lp) => {
          const cdn = one(lp, 'cdninfo');
          const send = one(lp, 'sendurl');
          const regex = one(lp, 'regexurl');
          return {
            line: lp.line,
            watch: str(lp, 'watch'),
            cdninfo: cdn
              ? {
                  line: cdn.line,
                  domainname: str(cdn, 'domainname'),
                  port: int(cdn, 'port') ?? 80,
                  username: str(cdn, 'username'),
                  passwd: str(cdn, 'passwd'),
                }
              : null,
            sendurl: send ? { line: send.line, base: str(send, 'base') } : null,
            regexurl: regex
              ? { line: regex.line, regex: bool(regex, 'regex'), match: str(regex, 'match') }
              : null,
          };
        }),
      };
    case 'http':
      return {
        name: 'http',
        line,
        localpaths: all(element, 'localpath').map((lp) => ({
          line: lp.line,
          watch: str(lp, 'watch'),
          deshosts: all(lp, 'deshost').map((d) => ({
            line: d.line,
            ip: str(d, 'ip'),
            port: int(d, 'port') ?? 0,
            ...(attr(d, 'path') !== undefined ? { path: str(d, 'path') } : {}),
          })),
          requests: all(lp, 'request').map((r) => ({
            line: r.line,
            url: str(r, 'url'),
            method: (attr(r, 'method') ?? 'POST').toUpperCase(),
            body: attr(r, 'body') ?? null,
          })),
        })),
      };
  }
}

/** Parses and checks confxml.xml text. Throws SersyncConfigError (with the line) on the first problem. */
export function parseSersync(xmlText: string, file = 'confxml.xml'): SersyncDocument {
  const root = parseXml(xmlText, file);
  const checker = new Checker(file);
  if (root.name.toLowerCase() === 'head') root.name = 'head';
  if (root.name !== 'head') {
    throw checker.error(
      root.line,
      `the root element is <${root.name}>, expected <head version="2.5">: is this a sersync confxml.xml?`,
      root.column,
    );
  }
  checker.check(root, HEAD, null);
  const sersync = one(root, 'sersync');
  if (!sersync)
    throw checker.error(root.line, '<head> has no <sersync> element: nothing to watch', root.column);

  const filter = one(root, 'filter');
  const inotify = one(root, 'inotify');
  const rsync = one(sersync, 'rsync');
  const crontab = one(sersync, 'crontab');
  const crontabFilter = one(crontab, 'crontabfilter');
  const failLog = one(sersync, 'failLog');
  const located = <T extends object>(element: XmlElement | undefined, make: (e: XmlElement) => T) =>
    element ? { line: element.line, ...make(element) } : null;

  const doc: SersyncDocument = {
    file,
    filter: located(filter, (e) => ({ start: bool(e, 'start'), excludes: expressions(e, 'exclude') })),
    inotify: {},
    localpaths: all(sersync, 'localpath').map((lp) => ({
      line: lp.line,
      watch: str(lp, 'watch'),
      remotes: all(lp, 'remote').map((r) => ({
        line: r.line,
        ip: str(r, 'ip').trim(),
        name: str(r, 'name').trim(),
        port: int(r, 'port'),
      })),
    })),
    rsync: {
      commonParams: located(one(rsync, 'commonParams'), (e) => ({ params: str(e, 'params') })),
      auth: located(one(rsync, 'auth'), (e) => ({
        start: bool(e, 'start'),
        users: str(e, 'users').trim(),
        passwordfile: str(e, 'passwordfile').trim(),
      })),
      userDefinedPort: located(one(rsync, 'userDefinedPort'), (e) => ({
        start: bool(e, 'start'),
        port: int(e, 'port'),
      })),
      timeout: located(one(rsync, 'timeout'), (e) => ({ start: bool(e, 'start'), time: int(e, 'time') })),
      ssh: located(one(rsync, 'ssh'), (e) => ({ start: bool(e, 'start') })),
    },
    failLog: located(failLog, (e) => ({
      path: str(e, 'path').trim(),
      timeToExecute: int(e, 'timeToExecute'),
    })),
    crontab: located(crontab, (e) => ({
      start: bool(e, 'start'),
      schedule: int(e, 'schedule'),
      filter: located(crontabFilter, (f) => ({
        start: bool(f, 'start'),
        excludes: expressions(f, 'exclude'),
      })),
    })),
    pluginSwitches: all(sersync, 'plugin').map((p) => ({
      line: p.line,
      start: bool(p, 'start'),
      name: str(p, 'name').trim(),
    })),
    plugins: all(root, 'plugin').map((p) => parsePlugin(p, checker)),
    warnings: checker.warnings,
  };
  for (const toggle of INOTIFY_TOGGLES) {
    const element = one(inotify, toggle);
    if (element) doc.inotify[toggle] = { line: element.line, start: bool(element, 'start') };
  }
  const names = new Map<string, number>();
  for (const plugin of doc.plugins) {
    const first = names.get(plugin.name);
    if (first !== undefined) {
      throw checker.error(
        plugin.line,
        `<plugin name="${plugin.name}"> is defined twice (first on line ${first}): keep one`,
      );
    }
    names.set(plugin.name, plugin.line);
  }
  return doc;
}
