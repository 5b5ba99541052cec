// importSersync: a sersync confxml.xml as rsync-live pairs, plugins and fail-log settings, plus warnings for
// everything that changes meaning. One pair per <localpath> (sersync used only the first), one target per
// <remote>. Pure apart from path arithmetic: no files are read, so the desktop app can call it on text the
// user picked. The table in docs/migrating-from-sersync.md mirrors this file.
import path from 'node:path';
import { formatIssues, pairSchema, type PairConfig, type PairConfigInput } from '../shared/config.js';
import { pluginSchema, type PluginConfig, type PluginConfigInput } from '../engine/plugins/config.js';
import { templateFields } from '../engine/plugins/template.js';
import { hasShellSyntax, splitWords } from '../engine/plugins/words.js';
import { parseTarget } from '../engine/rsync/target.js';
import {
  parseSersync,
  type Loc,
  type SersyncDocument,
  type SersyncPlugin,
  type SersyncPluginName,
} from './parse.js';
import { crontabPattern, filterNote, PatternError, toJsRegex } from './patterns.js';
import { ParamsError, translateCommonParams } from './rsync-params.js';
import { SersyncConfigError } from './xml.js';

export interface FailLogConfig {
  /** Where records are appended (a ".sh" name from sersync becomes ".log": it is a record, not a script). */
  path: string;
  /** sersync's timeToExecute: failed paths are retried this often (minutes), besides the engine's backoff. */
  retryMinutes: number;
}

export interface SersyncImport {
  pairs: PairConfig[];
  plugins: PluginConfig[];
  failLog?: FailLogConfig;
  /**
   * sersync's <crontab>: a full sync of every pair every N minutes, counted from start (not a cron schedule;
   * `rsync-live sersync` runs it with startFullSyncInterval). Pairs carry no cron schedule for it.
   */
  fullSyncEveryMinutes?: number;
  /** The line of that <crontab>, for messages. */
  crontabLine?: number;
  /** "file:line: what changes and why", for the user to read once. */
  warnings: string[];
}

export interface ImportOptions {
  /** The confxml.xml path: named in messages; relative paths inside resolve against its directory. */
  file?: string;
  /** One full sync per target at start (sersync's -r). Default true (rsync-live's default). */
  startupSync?: boolean;
  /** rsync runs in flight per target (sersync's -n). Default: the schema's (2). */
  concurrency?: number;
}

const ID_CHARS = /[^A-Za-z0-9._-]+/g;

function makeId(raw: string, fallback: string, taken: Set<string>): string {
  const base = (raw.replace(ID_CHARS, '-').replace(/^-+|-+$/g, '') || fallback).slice(0, 56);
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

/** A literal for a plugin template: braces doubled. */
function literal(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

function hostPart(ip: string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
}

class Mapper {
  readonly warnings: string[];
  readonly file: string;
  readonly baseDir: string | null;

  constructor(
    readonly doc: SersyncDocument,
    options: ImportOptions,
  ) {
    this.warnings = [...doc.warnings];
    this.file = doc.file;
    this.baseDir = options.file ? path.dirname(path.resolve(options.file)) : null;
  }

  error(at: Loc | null, message: string): SersyncConfigError {
    return new SersyncConfigError(this.file, at?.line ?? null, null, message);
  }

  warn(at: Loc | null, message: string): void {
    this.warnings.push(`${this.file}${at ? `:${at.line}` : ''}: ${message}`);
  }

  /** An absolute, normalized path; a relative one resolves against the config file's directory. */
  absolute(at: Loc, value: string, what: string): string {
    const text = value.trim();
    if (text === '') throw this.error(at, `${what} is empty`);
    if (path.isAbsolute(text)) return path.normalize(text).replace(/(.)\/+$/, '$1');
    if (!this.baseDir) throw this.error(at, `${what} "${text}" must be an absolute path`);
    const resolved = path.resolve(this.baseDir, text);
    this.warn(at, `${what} "${text}" is relative: using ${resolved} (relative to the config file)`);
    return resolved;
  }
}

function excludesRegex(m: Mapper): string[] {
  const filter = m.doc.filter;
  if (!filter?.start) return [];
  return filter.excludes.map((exclude) => {
    let source: string;
    try {
      source = toJsRegex(exclude.expression);
    } catch (error) {
      if (error instanceof PatternError) throw m.error(exclude, `<exclude expression> ${error.message}`);
      throw error;
    }
    const note = filterNote(exclude.expression);
    if (note) m.warn(exclude, note);
    return source;
  });
}

/**
 * The import warning for <closeWrite start="true">. One constant, so it changes in one place once the engine
 * sees close-write events (the native inotify addon of issue "Kernel events").
 */
export const CLOSE_WRITE_WARNING =
  '<closeWrite start="true">: rsync-live also sends a file once its writer closed it, with its native inotify backend (npm run build compiles it; `rsync-live watch --help` names the backend running). With the fs.watch fallback it cannot see closes and sends a file once it has been quiet (at most 1 s after the last change), so a file written slowly can reach the target in parts before the complete file follows';

function deletionPolicy(m: Mapper): PairConfig['deletion'] {
  const t = m.doc.inotify;
  const on = (name: keyof typeof t, fallback: boolean): boolean => t[name]?.start ?? fallback;
  if (t.closeWrite?.start) m.warn(t.closeWrite, CLOSE_WRITE_WARNING);
  if (t.createFolder && !t.createFolder.start) {
    m.warn(
      t.createFolder,
      '<createFolder start="false"> is not supported: new folders and everything in them are always replicated (sersync stopped watching them, so their files were lost)',
    );
  }
  if (!on('closeWrite', true) && !on('modify', false) && !on('createFile', false)) {
    m.warn(
      t.closeWrite ?? null,
      'closeWrite, modify and createFile are all off: rsync-live still replicates file contents (events are hints; what exists is sent)',
    );
  }
  if (t.moveTo && !t.moveTo.start) {
    m.warn(
      t.moveTo,
      '<moveTo start="false"> is not supported: files and folders moved in are always replicated',
    );
  }
  const deletes = on('delete', true);
  if (deletes && t.moveFrom && !t.moveFrom.start) {
    m.warn(
      t.moveFrom,
      '<moveFrom start="false"> with <delete start="true">: a name moved away is deleted on the target like any deletion (set <delete start="false"> to keep old names)',
    );
  }
  return deletes ? 'mirror' : 'keep';
}

interface RsyncSettings {
  extraArgs: string[];
  timeoutSec: number;
  contimeoutSec: number;
  bwlimitKiB: number;
  port: number | null;
  user: string | null;
  passwordFile: string | null;
  ssh: boolean;
}

function rsyncSettings(m: Mapper): RsyncSettings {
  const r = m.doc.rsync;
  const commonParams = r.commonParams?.params ?? '-artuz';
  let params;
  try {
    params = translateCommonParams(commonParams);
  } catch (error) {
    if (error instanceof ParamsError)
      throw m.error(r.commonParams, `<commonParams params="${commonParams}">: ${error.message}`);
    throw error;
  }
  for (const warning of params.warnings) m.warn(r.commonParams, warning);
  const settings: RsyncSettings = {
    extraArgs: params.extraArgs,
    timeoutSec: params.timeoutSec ?? 60,
    contimeoutSec: params.contimeoutSec ?? 15,
    bwlimitKiB: params.bwlimitKiB ?? 0,
    port: params.port ?? null,
    user: null,
    passwordFile: null,
    ssh: r.ssh?.start ?? false,
  };
  if (r.timeout?.start) {
    if (r.timeout.time === null) throw m.error(r.timeout, '<timeout start="true"> needs time="SECONDS"');
    if (r.timeout.time > 86_400)
      throw m.error(r.timeout, `<timeout time="${r.timeout.time}">: at most 86400 seconds`);
    settings.timeoutSec = r.timeout.time;
  }
  if (r.userDefinedPort?.start) {
    const port = r.userDefinedPort.port;
    if (port === null || port < 1 || port > 65_535)
      throw m.error(r.userDefinedPort, '<userDefinedPort start="true"> needs port="1-65535"');
    settings.port = port;
  }
  if (r.auth?.start) {
    const users = r.auth.users.split(/[\s,]+/).filter(Boolean);
    if (users.length === 0) throw m.error(r.auth, '<auth start="true"> needs users="NAME"');
    if (users.length > 1)
      m.warn(r.auth, `<auth users="${r.auth.users}">: rsync logs in as one user; using "${users[0]}"`);
    settings.user = users[0] as string;
    if (r.auth.passwordfile === '') {
      throw m.error(
        r.auth,
        '<auth start="true"> needs passwordfile="/path" (a file holding the password, mode 0600)',
      );
    }
    settings.passwordFile = m.absolute(r.auth, r.auth.passwordfile, 'passwordfile');
    if (settings.ssh) {
      m.warn(
        r.auth,
        'passwordfile is not used over ssh (log in with keys or an agent); users becomes the ssh login',
      );
      settings.passwordFile = null;
    }
  }
  if (settings.ssh && settings.port !== null) {
    m.warn(
      r.userDefinedPort?.start ? r.userDefinedPort : r.commonParams,
      `port ${settings.port} is for rsync daemons and is not used over ssh (as in sersync, where rsync ignored --port with -e ssh): ssh connects to its own port; set another one with "Port" in ~/.ssh/config`,
    );
    settings.port = null;
  }
  return settings;
}

interface FullSyncPlan {
  fullSync: PairConfigInput['fullSync'];
  everyMinutes: number | null;
}

/**
 * -r and <crontab> as sersync ran them (FileSynchronize.cpp): the crontab sync every N minutes from start
 * (N ≤ 0 means 600), off when <filter> is on and crontabfilter has no exclude. -r with a filter: sersync
 * skipped it; rsync-live keeps the safer full sync and says so.
 */
function fullSyncSettings(m: Mapper, startupSync: boolean): FullSyncPlan {
  const crontab = m.doc.crontab;
  const filterOn = m.doc.filter?.start === true && m.doc.filter.excludes.length > 0;
  if (startupSync && filterOn) {
    m.warn(
      m.doc.filter,
      "sersync skipped the -r start-up sync when <filter> is on; rsync-live runs it, with the filter's excludes applied (excluded paths are neither sent nor deleted), so the target starts complete",
    );
  }
  const none = { onStart: startupSync, schedule: null, excludes: [] };
  if (!crontab?.start) return { fullSync: none, everyMinutes: null };
  let minutes = crontab.schedule ?? 0;
  if (minutes < 1) {
    m.warn(
      crontab,
      `<crontab schedule="${crontab.schedule ?? ''}">: not a number of minutes ≥ 1: every 600 minutes, as sersync did`,
    );
    minutes = 600;
  }
  const excludes: string[] = [];
  if (crontab.filter?.start) {
    for (const exclude of crontab.filter.excludes) {
      const converted = crontabPattern(exclude.expression);
      if (converted.note) m.warn(exclude, `crontabfilter ${converted.note}`);
      excludes.push(...converted.globs);
    }
  }
  const crontabFilterEmpty = !(crontab.filter?.start === true && crontab.filter.excludes.length > 0);
  if (filterOn && crontabFilterEmpty) {
    m.warn(
      crontab,
      '<crontab start="true"> is off: <filter> is on and <crontabfilter> has no exclude, and sersync then switched the crontab off (it would have sent what the filter keeps out). Add <crontabfilter start="true"> excludes to switch it on',
    );
    return { fullSync: none, everyMinutes: null };
  }
  return { fullSync: { onStart: startupSync, schedule: null, excludes }, everyMinutes: minutes };
}

function targetsFor(
  m: Mapper,
  localpath: SersyncDocument['localpaths'][number],
  rsync: RsyncSettings,
  concurrency: number | undefined,
): PairConfigInput['targets'] {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const targets: PairConfigInput['targets'] = [];
  for (const remote of localpath.remotes) {
    if (remote.ip === '') throw m.error(remote, '<remote> has an empty ip');
    if (remote.name === '') throw m.error(remote, '<remote> has an empty name (the rsync module)');
    const port = remote.port ?? rsync.port;
    if (port !== null && (port < 1 || port > 65_535))
      throw m.error(remote, `<remote port="${port}"> is out of range`);
    const user = rsync.user ? `${rsync.user}@` : '';
    let url: string;
    if (rsync.ssh) {
      if (remote.port !== null) m.warn(remote, '<remote port> is for rsync daemons and is ignored over ssh');
      url = `${user}${hostPart(remote.ip)}:${remote.name}`;
    } else {
      url = `rsync://${user}${hostPart(remote.ip)}${port === null ? '' : `:${port}`}/${remote.name.replace(/^\/+/, '')}`;
    }
    try {
      parseTarget(url);
    } catch (error) {
      throw m.error(remote, `<remote ip="${remote.ip}" name="${remote.name}">: ${(error as Error).message}`);
    }
    const first = seen.get(url);
    if (first !== undefined) {
      m.warn(remote, `this <remote> repeats the one on line ${first}: ignored`);
      continue;
    }
    seen.set(url, remote.line);
    const id = ids.has(remote.name.replace(ID_CHARS, '-'))
      ? makeId(`${remote.name}-${remote.ip}`, 'remote', ids)
      : makeId(remote.name, 'remote', ids);
    targets.push({
      id,
      url,
      ...(rsync.passwordFile ? { passwordFile: rsync.passwordFile } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    });
  }
  return targets;
}

function parsePlugin(m: Mapper, input: PluginConfigInput, at: Loc): PluginConfig {
  const parsed = pluginSchema.safeParse(input);
  if (!parsed.success)
    throw m.error(
      at,
      `<plugin name="${input.name ?? input.kind}">: ${formatIssues(parsed.error).replace(/\n/g, '; ')}`,
    );
  return parsed.data;
}

function mapPlugin(m: Mapper, plugin: SersyncPlugin, enabled: boolean, ids: Set<string>): PluginConfig[] {
  const id = (): string => makeId(plugin.name, 'plugin', ids);
  switch (plugin.name) {
    case 'command': {
      const param = plugin.param;
      if (!param) throw m.error(plugin, '<plugin name="command"> needs <param prefix="/path/to/program" …/>');
      let command: string[];
      let suffix: string[];
      try {
        command = splitWords(param.prefix);
        suffix = splitWords(param.suffix);
      } catch (error) {
        throw m.error(param, `<param>: ${(error as Error).message}`);
      }
      if (command.length === 0) throw m.error(param, '<param prefix=""> is empty: name the program to run');
      if (enabled) {
        m.warn(
          param,
          'the command runs once per event (deletions and both sides of a rename included, as in sersync) with the absolute path as ONE argument and no shell: sersync\'s shell split a name with spaces into several words and ran what a name like "$(…)" said',
        );
      }
      if (hasShellSyntax(param.prefix) || hasShellSyntax(param.suffix)) {
        m.warn(
          param,
          'the command runs without a shell: redirections, pipes and $variables in prefix/suffix are passed as plain words. For shell syntax, write a script and name it in prefix',
        );
      }
      const include = plugin.filter?.start
        ? plugin.filter.includes.map((inc) => {
            try {
              return toJsRegex(inc.expression);
            } catch (error) {
              throw m.error(inc, `<include expression> ${(error as Error).message}`);
            }
          })
        : [];
      return [
        parsePlugin(
          m,
          {
            kind: 'command',
            id: id(),
            name: 'command',
            enabled,
            command,
            suffix,
            ignoreError: param.ignoreError,
            include,
            includeOn: 'absolute',
            skipDotFiles: true,
            changes: ['upsert', 'delete'],
          },
          plugin,
        ),
      ];
    }
    case 'socket': {
      const configs: PluginConfig[] = [];
      for (const lp of plugin.localpaths) {
        const folder = m.absolute(lp, lp.watch, 'watch');
        for (const host of lp.deshosts) {
          configs.push(
            parsePlugin(
              m,
              {
                kind: 'socket',
                id: id(),
                name: 'socket',
                enabled,
                folder,
                host: host.ip,
                port: host.port,
                format: 'sersync',
                skipDotFiles: true,
              },
              host,
            ),
          );
        }
      }
      if (configs.length === 0) {
        throw m.error(
          plugin,
          '<plugin name="socket"> needs <localpath watch="…"><deshost ip="…" port="…"/></localpath>',
        );
      }
      return configs;
    }
    case 'refreshCDN': {
      const configs: PluginConfig[] = [];
      for (const lp of plugin.localpaths) {
        const folder = m.absolute(lp, lp.watch, 'watch');
        if (!lp.cdninfo)
          throw m.error(lp, 'refreshCDN <localpath> needs <cdninfo domainname port username passwd/>');
        if (!lp.sendurl) throw m.error(lp, 'refreshCDN <localpath> needs <sendurl base="http://…"/>');
        const cdn = lp.cdninfo;
        const useRegex = lp.regexurl?.regex ?? false;
        let match: string | null = null;
        if (useRegex) {
          try {
            match = toJsRegex(lp.regexurl?.match ?? '');
          } catch (error) {
            throw m.error(lp.regexurl, `<regexurl match> ${(error as Error).message}`);
          }
          if ((lp.regexurl?.match ?? '') === '')
            throw m.error(lp.regexurl, '<regexurl regex="true"> needs match="REGEX" with a group');
        }
        if (enabled) {
          m.warn(
            lp,
            'refreshCDN sends sersync\'s request (HEAD /index.jsp?…&urls=URL HTTP/1.0), except that a space, "%", "#", "&", "+" or a control character in a name or the login is percent-encoded once (sersync sent it raw, which broke the request)',
          );
        }
        if (cdn.username === '' || cdn.passwd === '') {
          m.warn(
            cdn,
            '<cdninfo> has an empty username or passwd: sersync refused to start; rsync-live sends them empty',
          );
        }
        configs.push(
          parsePlugin(
            m,
            {
              kind: 'cdn',
              id: id(),
              name: 'refreshCDN',
              enabled,
              folder,
              host: cdn.domainname,
              port: cdn.port,
              username: cdn.username,
              passwd: cdn.passwd,
              base: lp.sendurl.base,
              match,
              skipDotFiles: true,
            },
            lp,
          ),
        );
      }
      if (configs.length === 0)
        throw m.error(plugin, '<plugin name="refreshCDN"> needs a <localpath watch="…">');
      return configs;
    }
    case 'http': {
      const configs: PluginConfig[] = [];
      for (const lp of plugin.localpaths) {
        const folder = m.absolute(lp, lp.watch, 'watch');
        for (const host of lp.deshosts) {
          const requestPath =
            host.path === undefined ? '/' : host.path.startsWith('/') ? host.path : `/${host.path}`;
          configs.push(
            parsePlugin(
              m,
              {
                kind: 'http',
                id: id(),
                name: 'http',
                enabled,
                folder,
                method: 'POST',
                url: `http://${literal(hostPart(host.ip))}:${host.port}${literal(requestPath)}`,
                body: '{abspath}\n',
                headers: { 'content-type': 'text/plain; charset=utf-8' },
              },
              host,
            ),
          );
        }
        for (const request of lp.requests) {
          if (!['GET', 'POST', 'HEAD', 'PUT'].includes(request.method)) {
            throw m.error(request, `<request method="${request.method}">: use GET, POST, HEAD or PUT`);
          }
          try {
            templateFields(request.url);
            if (request.body !== null) templateFields(request.body);
          } catch (error) {
            throw m.error(request, `<request>: ${(error as Error).message}`);
          }
          configs.push(
            parsePlugin(
              m,
              {
                kind: 'http',
                id: id(),
                name: 'http',
                enabled,
                folder,
                method: request.method as 'GET',
                url: request.url,
                ...(request.body !== null ? { body: request.body } : {}),
              },
              request,
            ),
          );
        }
      }
      if (configs.length === 0) {
        throw m.error(
          plugin,
          '<plugin name="http"> needs <localpath watch="…"> with <deshost ip port/> or <request url/>',
        );
      }
      return configs;
    }
  }
}

function mapPlugins(m: Mapper): PluginConfig[] {
  const defined = new Map<string, SersyncPlugin>(m.doc.plugins.map((p) => [p.name, p]));
  const enabled = new Set<string>();
  for (const sw of m.doc.pluginSwitches) {
    if (!defined.has(sw.name)) {
      if (!sw.start) continue;
      throw m.error(
        sw,
        `<plugin start="true" name="${sw.name}"> has no <plugin name="${sw.name}"> definition under <head>`,
      );
    }
    if (sw.start) enabled.add(sw.name);
  }
  const [first, second] = m.doc.pluginSwitches;
  if (first && second) {
    const sersyncRan = first.start ? [first.name] : [];
    if (sersyncRan.join() !== [...enabled].join()) {
      m.warn(
        second,
        `sersync read only the first <plugin> switch inside <sersync> (name="${first.name}" start="${first.start}") and ran ${
          first.start ? `only ${first.name}` : 'no plugin'
        }; rsync-live runs every plugin switched on there (${[...enabled].join(', ') || 'none'}): switch the others off to keep sersync's behaviour`,
      );
    }
  }
  const ids = new Set<string>();
  return m.doc.plugins.flatMap((plugin) => mapPlugin(m, plugin, enabled.has(plugin.name), ids));
}

/**
 * sersync's <sersync><plugin start="true" name> (it used the first one): with socket or refreshCDN, the
 * plugin's first <localpath watch> replaced the synced folder (FileSynchronize.cpp: watch = itf->m_watch).
 */
function pluginFolder(m: Mapper): { name: string; folder: string } | null {
  const first = m.doc.pluginSwitches[0];
  if (!first?.start || (first.name !== 'socket' && first.name !== 'refreshCDN')) return null;
  const plugin = m.doc.plugins.find((p) => p.name === first.name);
  if (!plugin || (plugin.name !== 'socket' && plugin.name !== 'refreshCDN')) return null;
  const lp = plugin.localpaths[0];
  if (!lp) return null;
  return { name: plugin.name, folder: m.absolute(lp, lp.watch, 'watch') };
}

function mapFailLog(m: Mapper): FailLogConfig | undefined {
  const failLog = m.doc.failLog;
  if (!failLog) return undefined;
  let file = m.absolute(failLog, failLog.path, 'failLog path');
  if (file.endsWith('.sh')) {
    const record = `${file.slice(0, -3)}.log`;
    m.warn(
      failLog,
      `failLog: rsync-live writes a readable record (mode 0600), never a script to execute: using ${record} instead of ${file}. sersync ran ${path.basename(file)} as root; delete the old file and any cron job that runs it`,
    );
    file = record;
  }
  const minutes = failLog.timeToExecute ?? 60;
  if (minutes < 1) throw m.error(failLog, '<failLog timeToExecute> must be at least 1 minute');
  return { path: file, retryMinutes: minutes };
}

/** Maps confxml.xml text. Throws SersyncConfigError ("file:line: …") on the first problem. */
export function importSersync(xmlText: string, options: ImportOptions = {}): SersyncImport {
  const doc = parseSersync(xmlText, options.file ?? 'confxml.xml');
  const m = new Mapper(doc, options);
  const regex = excludesRegex(m);
  const deletion = deletionPolicy(m);
  const rsync = rsyncSettings(m);
  const { fullSync, everyMinutes } = fullSyncSettings(m, options.startupSync ?? true);
  const replaced = pluginFolder(m);
  const pairIds = new Set<string>();
  const folders = new Map<string, number>();
  const pairs: PairConfig[] = [];
  if (doc.localpaths.length === 0) m.warn(null, '<sersync> has no <localpath watch="…">: nothing to sync');
  doc.localpaths.forEach((localpath, index) => {
    let folder = m.absolute(localpath, localpath.watch, 'watch');
    if (index === 0 && replaced && replaced.folder !== folder) {
      m.warn(
        localpath,
        `with the ${replaced.name} plugin on, sersync watched and synced the plugin's folder ${replaced.folder} (<plugin name="${replaced.name}"><localpath watch>) instead of ${folder} (<sersync><localpath watch>); rsync-live does the same: ${replaced.folder} is synced to this <localpath>'s remotes and ${folder} is not synced`,
      );
      folder = replaced.folder;
    }
    const first = folders.get(folder);
    if (first !== undefined)
      throw m.error(localpath, `<localpath watch="${localpath.watch}"> repeats line ${first}`);
    folders.set(folder, localpath.line);
    const targets = targetsFor(m, localpath, rsync, options.concurrency);
    if (targets.length === 0) {
      m.warn(
        localpath,
        `<localpath watch="${localpath.watch}"> has no <remote>: it is not synced (its plugins still run)`,
      );
      return;
    }
    const input: PairConfigInput = {
      id: makeId(path.basename(folder), 'folder', pairIds),
      name: folder,
      folder,
      targets,
      deletion,
      excludes: { regex, glob: [], defaultTemporary: true, regexForm: 'sersync' },
      fullSync,
      rsync: {
        extraArgs: rsync.extraArgs.map((arg) =>
          arg.startsWith('--exclude-from=') && !path.isAbsolute(arg.slice(15))
            ? `--exclude-from=${path.resolve(folder, arg.slice(15))}`
            : arg,
        ),
        timeoutSec: rsync.timeoutSec,
        contimeoutSec: rsync.contimeoutSec,
        bwlimitKiB: rsync.bwlimitKiB,
      },
    };
    const parsed = pairSchema.safeParse(input);
    if (!parsed.success) throw m.error(localpath, formatIssues(parsed.error).replace(/\n/g, '; '));
    pairs.push(parsed.data);
  });
  const plugins = mapPlugins(m);
  const failLog = mapFailLog(m);
  return {
    pairs,
    plugins,
    ...(failLog ? { failLog } : {}),
    ...(everyMinutes !== null
      ? { fullSyncEveryMinutes: everyMinutes, ...(doc.crontab ? { crontabLine: doc.crontab.line } : {}) }
      : {}),
    warnings: m.warnings,
  };
}

/** The sersync plugin names `-m NAME` accepts, for messages. */
export const PLUGIN_MODE_NAMES: readonly SersyncPluginName[] = ['command', 'socket', 'refreshCDN', 'http'];
