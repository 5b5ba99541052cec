// importSersync: every confxml.xml element mapped to pairs, plugins and the fail log, with warnings where the
// meaning changes and located errors where the file is wrong. Also the helpers: commonParams, crontab minutes,
// crontabfilter patterns and boost regexes.
import { describe, expect, it } from 'vitest';
import { relFromUtf8 } from '../../electron/engine/byte-path.js';
import { compileExcludes, rsyncExcludeArgs } from '../../electron/engine/excludes.js';
import { CLOSE_WRITE_WARNING, importSersync as importWithAllWarnings } from '../../electron/sersync/map.js';
import { crontabPattern, regexToGlobs, toJsRegex } from '../../electron/sersync/patterns.js';
import { ParamsError, translateCommonParams } from '../../electron/sersync/rsync-params.js';
import { minutesToCron } from '../../electron/sersync/schedule.js';
import { SersyncConfigError } from '../../electron/sersync/xml.js';
import { STOCK } from '../helpers/sersync-config.js';

/** importSersync without the closeWrite warning every stock-like file gets (tested on its own below). */
function importSersync(
  ...args: Parameters<typeof importWithAllWarnings>
): ReturnType<typeof importWithAllWarnings> {
  const result = importWithAllWarnings(...args);
  return { ...result, warnings: result.warnings.filter((w) => !w.endsWith(CLOSE_WRITE_WARNING)) };
}

interface Parts {
  filter?: string;
  inotify?: Record<string, boolean>;
  localpaths?: string;
  rsync?: string;
  failLog?: string;
  crontab?: string;
  switches?: string;
  plugins?: string;
}

/** A confxml.xml with sersync's stock values unless overridden. */
function conf(parts: Parts = {}): string {
  const inotify = {
    delete: true,
    createFolder: true,
    createFile: false,
    closeWrite: true,
    moveFrom: true,
    moveTo: true,
    attrib: false,
    modify: false,
    ...parts.inotify,
  };
  return [
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
    '<head version="2.5">',
    parts.filter ?? '<filter start="false"></filter>',
    '<inotify>',
    ...Object.entries(inotify).map(([name, on]) => `<${name} start="${on}"/>`),
    '</inotify>',
    '<sersync>',
    parts.localpaths ?? '<localpath watch="/opt/tongbu"><remote ip="127.0.0.1" name="tongbu1"/></localpath>',
    parts.rsync ??
      '<rsync><commonParams params="-artuz"/><auth start="false" users="root" passwordfile="/etc/rsync.pas"/><userDefinedPort start="false" port="874"/><timeout start="false" time="100"/><ssh start="false"/></rsync>',
    parts.failLog ?? '',
    parts.crontab ?? '',
    parts.switches ?? '',
    '</sersync>',
    parts.plugins ?? '',
    '</head>',
  ].join('\n');
}

function lineOf(xml: string, needle: string): number {
  return xml.slice(0, xml.indexOf(needle)).split('\n').length;
}

function importError(xml: string, file = '/etc/sersync/confxml.xml'): SersyncConfigError {
  try {
    importSersync(xml, { file });
  } catch (error) {
    if (error instanceof SersyncConfigError) return error;
    throw error;
  }
  throw new Error('expected a SersyncConfigError');
}

describe('importSersync: the stock confxml.xml', () => {
  it('becomes one mirrored pair with one daemon target, disabled plugins and a safe fail log', () => {
    const result = importSersync(STOCK, { file: '/etc/sersync/confxml.xml', startupSync: false });
    expect(result.pairs).toHaveLength(1);
    expect(result.pairs[0]).toMatchObject({
      id: 'tongbu',
      folder: '/opt/tongbu',
      targets: [{ id: 'tongbu1', url: 'rsync://127.0.0.1/tongbu1' }],
      deletion: 'mirror',
      excludes: { regex: [], glob: [], defaultTemporary: true, regexForm: 'sersync' },
      fullSync: { onStart: false, schedule: null, excludes: [] },
      rsync: { extraArgs: ['-u', '-z'], timeoutSec: 60, contimeoutSec: 15, bwlimitKiB: 0 },
    });
    expect(result.plugins.map((p) => [p.id, p.kind, p.enabled])).toEqual([
      ['command', 'command', false],
      ['socket', 'socket', false],
      ['refreshCDN', 'cdn', false],
    ]);
    expect(result.failLog).toEqual({ path: '/tmp/rsync_fail_log.log', retryMinutes: 60 });
    expect(result.warnings).toHaveLength(4);
    expect(result.warnings[3]).toMatch(
      /^\/etc\/sersync\/confxml\.xml:36: failLog: rsync-live writes a readable record \(mode 0600\), never a script/,
    );
  });

  it('notes, once and with its line, how closeWrite is honoured (native backend) and when it is not (fs.watch fallback)', () => {
    const { warnings } = importWithAllWarnings(STOCK, { file: '/etc/sersync/confxml.xml' });
    const line = STOCK.slice(0, STOCK.indexOf('<closeWrite')).split('\n').length;
    expect(warnings.filter((w) => w.includes('closeWrite'))).toEqual([
      `/etc/sersync/confxml.xml:${line}: ${CLOSE_WRITE_WARNING}`,
    ]);
    const off = STOCK.replace('<closeWrite start="true"/>', '<closeWrite start="false"/>');
    expect(importWithAllWarnings(off).warnings.join('\n')).not.toContain(CLOSE_WRITE_WARNING);
  });

  it('starts with a full sync unless told otherwise (sersync -r)', () => {
    expect(importSersync(STOCK).pairs[0]?.fullSync.onStart).toBe(true);
    expect(importSersync(STOCK, { startupSync: false }).pairs[0]?.fullSync.onStart).toBe(false);
  });
});

describe('importSersync: <filter>', () => {
  const filter = `<filter start="true">
  <exclude expression="(.*)\\.svn"></exclude>
  <exclude expression="(.*)\\.gz"></exclude>
  <exclude expression="^info/*"></exclude>
  <exclude expression="^static/*"></exclude>
  <exclude expression="logs/[[:digit:]]+\\.log"></exclude>
</filter>`;

  it('becomes excludes.regex tested in the forms sersync tested (table: sersync-filter.test.ts)', () => {
    const pair = importSersync(conf({ filter })).pairs[0];
    expect(pair?.excludes.regex).toEqual([
      '(.*)\\.svn',
      '(.*)\\.gz',
      '^info/*',
      '^static/*',
      'logs/[0-9]+\\.log',
    ]);
    const excluded = compileExcludes(pair!.excludes);
    const ex = (p: string) => excluded(relFromUtf8(p));
    for (const p of ['.svn', 'a/b/.svn/entries', 'x.gz', 'deep/er/x.gz', 'info', 'info/a/b.txt', 'static/x'])
      expect(ex(p), p).toBe(true);
    // "logs/…" below the top was tested by sersync as "/logs/12.log": it never matched.
    for (const p of ['.htaccess', 'a/.bashrc', 'x.gzip', 'sub/info/x', 'information', 'logs/12.log'])
      expect(ex(p), p).toBe(false);
  });

  it('is not applied when start="false", as in sersync', () => {
    expect(
      importSersync(conf({ filter: filter.replace('start="true"', 'start="false"') })).pairs[0]?.excludes
        .regex,
    ).toEqual([]);
  });

  it('rejects a regex JavaScript cannot compile, with its line and a hint for globs', () => {
    const xml = conf({ filter: '<filter start="true">\n<exclude expression="*.php"></exclude>\n</filter>' });
    const error = importError(xml);
    expect(error.line).toBe(lineOf(xml, '*.php'));
    expect(error.message).toMatch(
      /^\/etc\/sersync\/confxml\.xml:\d+: <exclude expression> "\*\.php" is not a regular expression rsync-live can use .*; it looks like a glob: as a regex write "\(\.\*\)\\\\\.php"$/,
    );
  });
});

describe('importSersync: <inotify>', () => {
  it('delete off is backup mode: deletion "keep"', () => {
    expect(importSersync(conf({ inotify: { delete: false } })).pairs[0]?.deletion).toBe('keep');
  });

  it('createFile off (stock) and attrib off/on need no warning: everything is sent, metadata by -a', () => {
    for (const attrib of [true, false]) {
      const { warnings, pairs } = importSersync(
        conf({ inotify: { attrib, createFile: false, modify: attrib } }),
      );
      expect(warnings).toEqual([]);
      expect(pairs[0]?.rsync.extraArgs).toEqual(['-u', '-z']);
    }
  });

  it('warns where rsync-live does more than the toggle asked', () => {
    const xml = conf({ inotify: { createFolder: false, moveTo: false, moveFrom: false } });
    const { warnings } = importSersync(xml, { file: '/c.xml' });
    expect(warnings).toEqual([
      `/c.xml:${lineOf(xml, '<createFolder')}: <createFolder start="false"> is not supported: new folders and everything in them are always replicated (sersync stopped watching them, so their files were lost)`,
      `/c.xml:${lineOf(xml, '<moveTo')}: <moveTo start="false"> is not supported: files and folders moved in are always replicated`,
      `/c.xml:${lineOf(xml, '<moveFrom')}: <moveFrom start="false"> with <delete start="true">: a name moved away is deleted on the target like any deletion (set <delete start="false"> to keep old names)`,
    ]);
    const quiet = importSersync(conf({ inotify: { closeWrite: false, modify: false, createFile: false } }));
    expect(quiet.warnings).toEqual([
      expect.stringMatching(/closeWrite, modify and createFile are all off: rsync-live still replicates/),
    ]);
  });
});

describe('importSersync: <sersync> localpaths, remotes and <rsync>', () => {
  const localpaths = `<localpath watch="/srv/www/">
  <remote ip="10.0.0.5" name="www"/>
  <remote ip="10.0.0.6" name="www"/>
  <remote ip="fe80::1" name="www/sub" port="8873"/>
</localpath>
<localpath watch="/srv/data"><remote ip="backup.example" name="data"/></localpath>`;
  const rsync = `<rsync>
  <commonParams params="-artuz"/>
  <auth start="true" users="sync" passwordfile="/etc/rsync.pas"/>
  <userDefinedPort start="true" port="874"/>
  <timeout start="true" time="100"/>
  <ssh start="false"/>
</rsync>`;

  it('one pair per localpath (sersync used only the first), one target per remote', () => {
    const { pairs, warnings } = importSersync(conf({ localpaths, rsync }), { concurrency: 4 });
    expect(warnings).toEqual([]);
    expect(pairs.map((p) => [p.id, p.folder])).toEqual([
      ['www', '/srv/www'],
      ['data', '/srv/data'],
    ]);
    expect(pairs[0]?.targets).toEqual([
      { id: 'www', url: 'rsync://sync@10.0.0.5:874/www', passwordFile: '/etc/rsync.pas', concurrency: 4 },
      {
        id: 'www-10.0.0.6',
        url: 'rsync://sync@10.0.0.6:874/www',
        passwordFile: '/etc/rsync.pas',
        concurrency: 4,
      },
      {
        id: 'www-sub',
        url: 'rsync://sync@[fe80::1]:8873/www/sub',
        passwordFile: '/etc/rsync.pas',
        concurrency: 4,
      },
    ]);
    expect(pairs[1]?.targets[0]?.url).toBe('rsync://sync@backup.example:874/data');
    expect(pairs[0]?.rsync.timeoutSec).toBe(100);
  });

  it('ssh start: user@host:path targets, no port (it is for daemons: sersync passed -e ssh, rsync ignored --port), the password file unused', () => {
    const sshRsync = rsync.replace('<ssh start="false"/>', '<ssh start="true"/>');
    const xml = conf({
      localpaths: '<localpath watch="/srv/www"><remote ip="10.0.0.5" name="/var/www"/></localpath>',
      rsync: sshRsync,
    });
    const { pairs, warnings } = importSersync(xml);
    expect(pairs[0]?.targets).toEqual([{ id: 'var-www', url: 'sync@10.0.0.5:/var/www', concurrency: 2 }]);
    expect(pairs[0]?.rsync.extraArgs).toEqual(['-u', '-z']);
    expect(warnings).toEqual([
      expect.stringMatching(/passwordfile is not used over ssh/),
      expect.stringMatching(
        /:\d+: port 874 is for rsync daemons and is not used over ssh \(as in sersync, where rsync ignored --port with -e ssh\): ssh connects to its own port; set another one with "Port" in ~\/\.ssh\/config$/,
      ),
    ]);
  });

  it('locates wrong values', () => {
    const noTime = conf({ rsync: '<rsync><timeout start="true"/></rsync>' });
    expect(importError(noTime).message).toBe(
      `/etc/sersync/confxml.xml:${lineOf(noTime, '<timeout')}: <timeout start="true"> needs time="SECONDS"`,
    );
    const badPort = conf({ rsync: '<rsync><userDefinedPort start="true" port="70000"/></rsync>' });
    expect(importError(badPort).message).toMatch(
      /:\d+: <userDefinedPort start="true"> needs port="1-65535"$/,
    );
    const noFile = conf({ rsync: '<rsync><auth start="true" users="u"/></rsync>' });
    expect(importError(noFile).message).toMatch(/<auth start="true"> needs passwordfile="\/path"/);
    const badParams = conf({ rsync: '<rsync><commonParams params="-artuzj"/></rsync>' });
    expect(importError(badParams).message).toBe(
      `/etc/sersync/confxml.xml:${lineOf(badParams, '<commonParams')}: <commonParams params="-artuzj">: -j is not an rsync option rsync-live knows`,
    );
    const badHost = conf({
      localpaths: '<localpath watch="/a"><remote ip="bad host" name="m"/></localpath>',
    });
    expect(importError(badHost).message).toMatch(
      /<remote ip="bad host" name="m">: target .* is not a valid rsync daemon URL/,
    );
  });

  it('relative paths resolve against the config file, with a warning; without a file they are errors', () => {
    const xml = conf({
      localpaths: '<localpath watch="site"><remote ip="h" name="m"/></localpath>',
      rsync: '<rsync><auth start="true" users="u" passwordfile="rsync.pas"/></rsync>',
    });
    const { pairs, warnings } = importSersync(xml, { file: '/etc/sersync/confxml.xml' });
    expect(pairs[0]?.folder).toBe('/etc/sersync/site');
    expect(pairs[0]?.targets[0]?.passwordFile).toBe('/etc/sersync/rsync.pas');
    expect(warnings).toHaveLength(2);
    expect(() => importSersync(xml)).toThrow(
      /^confxml\.xml:\d+: passwordfile "rsync\.pas" must be an absolute path$/,
    );
  });

  it('a localpath without remote is reported, a repeated one is an error', () => {
    const { pairs, warnings } = importSersync(conf({ localpaths: '<localpath watch="/a"></localpath>' }));
    expect(pairs).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(/<localpath watch="\/a"> has no <remote>: it is not synced/),
    ]);
    const twice = conf({
      localpaths:
        '<localpath watch="/a"><remote ip="h" name="m"/></localpath>\n<localpath watch="/a/"><remote ip="h" name="n"/></localpath>',
    });
    expect(importError(twice).message).toMatch(/<localpath watch="\/a\/"> repeats line \d+/);
  });
});

describe('commonParams', () => {
  it('-artuz keeps -u and -z (-a is always passed; an explicit -r would make --files-from recurse)', () => {
    expect(translateCommonParams('-artuz')).toEqual({ extraArgs: ['-u', '-z'], warnings: [] });
  });

  it('without -a, what sersync did not preserve is turned off again', () => {
    const result = translateCommonParams('-rtuz');
    expect(result.extraArgs).toEqual(['-u', '-z', '--no-perms', '--no-owner', '--no-group', '--no-D']);
    expect(result.warnings).toEqual([
      'commonParams has no -a and no -l: rsync-live still copies symlinks as symlinks',
    ]);
  });

  it('turns settings into settings, drops what would break the engine, keeps the rest', () => {
    const result = translateCommonParams(
      `-avzP --delete --timeout=30 --bwlimit 500 --contimeout=5 --port=8873 -e 'ssh -p 22' --exclude='*.tmp' -H --numeric-ids -n`,
    );
    expect(result).toMatchObject({ timeoutSec: 30, bwlimitKiB: 500, contimeoutSec: 5, port: 8873 });
    expect(result.extraArgs).toEqual([
      '-z',
      '--partial',
      '--rsh=ssh -p 22',
      '--exclude=*.tmp',
      '-H',
      '--numeric-ids',
    ]);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^commonParams -v is dropped: rsync-live sets its own output/),
      expect.stringMatching(/^commonParams -P is dropped: .*--partial half is kept/),
      expect.stringMatching(/^commonParams --delete is dropped: deletion follows <inotify><delete start>/),
      expect.stringMatching(/^commonParams -n is dropped: a dry run would never copy anything/),
    ]);
  });

  it('refuses unknown letters and positional words', () => {
    expect(() => translateCommonParams('-artuzj')).toThrow(ParamsError);
    expect(() => translateCommonParams('-az /src')).toThrow(/"\/src" is not an rsync option/);
    expect(() => translateCommonParams('-e')).toThrow(/-e needs a value/);
  });
});

describe('<crontab> and <crontabfilter>', () => {
  it('minutes become an exact cron schedule, or the nearest more frequent one', () => {
    expect(minutesToCron(1)).toEqual({ cron: '* * * * *', everyMinutes: 1, exact: true });
    expect(minutesToCron(30)).toEqual({ cron: '*/30 * * * *', everyMinutes: 30, exact: true });
    expect(minutesToCron(120)).toEqual({ cron: '0 */2 * * *', everyMinutes: 120, exact: true });
    expect(minutesToCron(1440)).toEqual({ cron: '0 0 * * *', everyMinutes: 1440, exact: true });
    expect(minutesToCron(10080)).toEqual({ cron: '0 0 * * 0', everyMinutes: 10080, exact: true });
    expect(minutesToCron(7)).toEqual({ cron: '*/6 * * * *', everyMinutes: 6, exact: false });
    expect(minutesToCron(600)).toEqual({ cron: '0 */8 * * *', everyMinutes: 480, exact: false });
    expect(() => minutesToCron(0)).toThrow(RangeError);
  });

  it('crontabfilter expressions are rsync patterns (sersync passed them to --exclude): same meaning as globs', () => {
    expect(crontabPattern('*.php')).toEqual({ globs: ['*.php'] });
    expect(crontabPattern('info/*')).toEqual({ globs: ['info/*', '**/info/*'] });
    expect(crontabPattern('/cache/')).toEqual({ globs: ['/cache'] });
    expect(rsyncExcludeArgs(crontabPattern('info/*').globs)).toEqual([
      '--exclude=/info/*',
      '--exclude=/**/info/*',
    ]);
  });

  it('simple regexes written there by mistake are converted, others dropped with a note', () => {
    expect(regexToGlobs('(.*)\\.php')).toEqual(['*.php']);
    expect(regexToGlobs('^info/*')).toEqual(['/info']);
    expect(regexToGlobs('.*/tmp/.*')).toEqual(['/**/tmp/**']);
    expect(regexToGlobs('^logs/[^/]*\\.gz$')).toEqual(['/logs/*.gz']);
    expect(regexToGlobs('(a|b)\\.txt')).toBeNull();
    expect(crontabPattern('(.*)\\.gz').note).toMatch(
      /is a regex, but sersync handed crontabfilter expressions to rsync/,
    );
    expect(crontabPattern('(a|b)+')).toEqual({
      globs: [],
      note: expect.stringMatching(/has no rsync pattern equivalent/),
    });
  });

  it('every N minutes from start (an interval, not cron), fullSync.excludes, with warnings', () => {
    const crontab = `<crontab start="true" schedule="600">
  <crontabfilter start="true">
    <exclude expression="*.php"></exclude>
    <exclude expression="info/*"></exclude>
    <exclude expression="(.*)\\.gz"></exclude>
  </crontabfilter>
</crontab>`;
    const xml = conf({ crontab });
    const { pairs, warnings } = importSersync(xml, { file: '/c.xml' });
    const imported = importSersync(xml, { file: '/c.xml' });
    expect(imported.fullSyncEveryMinutes).toBe(600);
    expect(pairs[0]?.fullSync).toEqual({
      onStart: true,
      schedule: null,
      excludes: ['*.php', 'info/*', '**/info/*', '*.gz'],
    });
    expect(warnings).toEqual([
      `/c.xml:${lineOf(xml, '(.*)')}: crontabfilter "(.*)\\\\.gz" is a regex, but sersync handed crontabfilter expressions to rsync as --exclude patterns, where it matched nothing; rsync-live uses the glob "*.gz" instead, which is what it means`,
    ]);
    const off = importSersync(
      conf({ crontab: crontab.replace('start="true" schedule', 'start="false" schedule') }),
    );
    expect(off.pairs[0]?.fullSync.schedule).toBeNull();
    expect(off.fullSyncEveryMinutes).toBeUndefined();
  });

  it('schedule ≤ 0 or missing is 600 minutes, as sersync did', () => {
    for (const schedule of ['0', '']) {
      const attr = schedule === '' ? '' : ` schedule="${schedule}"`;
      const xml = conf({ crontab: `<crontab start="true"${attr}></crontab>` });
      const imported = importSersync(xml, { file: '/c.xml' });
      expect(imported.fullSyncEveryMinutes).toBe(600);
      expect(imported.warnings).toContain(
        `/c.xml:${lineOf(xml, '<crontab ')}: <crontab schedule="${schedule}">: not a number of minutes ≥ 1: every 600 minutes, as sersync did`,
      );
    }
  });

  it('is off when <filter> is on and crontabfilter has no exclude (FileSynchronize.cpp), with a warning', () => {
    const filter = '<filter start="true"><exclude expression="(.*)\\.svn"></exclude></filter>';
    const xml = conf({ filter, crontab: '<crontab start="true" schedule="60"></crontab>' });
    const imported = importSersync(xml, { file: '/c.xml', startupSync: false });
    expect(imported.fullSyncEveryMinutes).toBeUndefined();
    expect(imported.warnings).toContain(
      `/c.xml:${lineOf(xml, '<crontab ')}: <crontab start="true"> is off: <filter> is on and <crontabfilter> has no exclude, and sersync then switched the crontab off (it would have sent what the filter keeps out). Add <crontabfilter start="true"> excludes to switch it on`,
    );
    const withFilter = conf({
      filter,
      crontab:
        '<crontab start="true" schedule="60"><crontabfilter start="true"><exclude expression="*.svn"></exclude></crontabfilter></crontab>',
    });
    expect(importSersync(withFilter).fullSyncEveryMinutes).toBe(60);
  });

  it('-r with <filter> on: sersync skipped it; rsync-live keeps the full sync and says so', () => {
    const filter = '<filter start="true"><exclude expression="(.*)\\.svn"></exclude></filter>';
    const xml = conf({ filter });
    const on = importSersync(xml, { file: '/c.xml', startupSync: true });
    expect(on.pairs[0]?.fullSync.onStart).toBe(true);
    expect(on.warnings).toContain(
      `/c.xml:${lineOf(xml, '<filter')}: sersync skipped the -r start-up sync when <filter> is on; rsync-live runs it, with the filter's excludes applied (excluded paths are neither sent nor deleted), so the target starts complete`,
    );
    expect(importSersync(xml, { file: '/c.xml', startupSync: false }).warnings.join('\n')).not.toMatch(
      /skipped the -r/,
    );
  });
});

describe('commonParams --exclude-from', () => {
  it('is kept, a relative file resolved against the watched folder (sersync ran rsync there)', () => {
    const rsync = (params: string) =>
      `<rsync><commonParams params="${params}"/><auth start="false" users="root" passwordfile="/etc/rsync.pas"/><userDefinedPort start="false" port="874"/><timeout start="false" time="100"/><ssh start="false"/></rsync>`;
    const relative = importSersync(conf({ rsync: rsync('-artuz --exclude-from=excludes.txt') }));
    expect(relative.pairs[0]?.rsync.extraArgs).toEqual([
      '-u',
      '-z',
      '--exclude-from=/opt/tongbu/excludes.txt',
    ]);
    expect(relative.warnings).toEqual([]);
    const absolute = importSersync(conf({ rsync: rsync('-artuz --exclude-from /etc/sersync/ex.list') }));
    expect(absolute.pairs[0]?.rsync.extraArgs).toEqual(['-u', '-z', '--exclude-from=/etc/sersync/ex.list']);
  });
});

describe('boost regexes', () => {
  it('POSIX classes become JavaScript classes; other syntax is checked as the engine compiles it', () => {
    expect(toJsRegex('[[:alpha:]_]+\\.txt')).toBe('[a-zA-Z_]+\\.txt');
    expect(() => toJsRegex('(unclosed')).toThrow(/is not a regular expression rsync-live can use/);
  });
});

describe('<failLog>', () => {
  it('keeps a non-script name, defaults to 60 minutes, refuses 0', () => {
    expect(
      importSersync(conf({ failLog: '<failLog path="/var/log/rsync-live-fail.log"/>' })).failLog,
    ).toEqual({
      path: '/var/log/rsync-live-fail.log',
      retryMinutes: 60,
    });
    expect(importError(conf({ failLog: '<failLog path="/x.log" timeToExecute="0"/>' })).message).toMatch(
      /<failLog timeToExecute> must be at least 1 minute/,
    );
  });
});

describe('plugins', () => {
  const plugins = `<plugin name="command">
  <param prefix="/usr/local/bin/on-change --label 'web site'" suffix="--done &gt;/dev/null" ignoreError="false"/>
  <filter start="true"><include expression="(.*)\\.php"/><include expression="(.*)\\.sh"/></filter>
</plugin>
<plugin name="socket">
  <localpath watch="/opt/tongbu"><deshost ip="127.0.0.1" port="8009"/><deshost ip="127.0.0.2" port="8009"/></localpath>
</plugin>
<plugin name="refreshCDN">
  <localpath watch="/data0/htdocs/cms.xoyo.com/site/">
    <cdninfo domainname="ccms.chinacache.com" port="80" username="me" passwd="p&amp;ss"/>
    <sendurl base="http://pic.xoyo.com/cms"/>
    <regexurl regex="true" match="cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images"/>
  </localpath>
</plugin>
<plugin name="http">
  <localpath watch="/opt/tongbu">
    <deshost ip="127.0.0.1" port="8080" path="/hook"/>
    <request url="http://127.0.0.1:8080/changed?p={path}&amp;c={change}" method="get"/>
  </localpath>
</plugin>`;

  it('map each sersync plugin, enabled by <sersync><plugin start="true">', () => {
    const xml = conf({
      plugins,
      switches: '<plugin start="true" name="command"/><plugin start="true" name="refreshCDN"/>',
    });
    const { plugins: mapped, warnings } = importSersync(xml, { file: '/c.xml' });
    expect(mapped.map((p) => [p.id, p.kind, p.enabled, p.folder])).toEqual([
      ['command', 'command', true, null],
      ['socket', 'socket', false, '/opt/tongbu'],
      ['socket-2', 'socket', false, '/opt/tongbu'],
      ['refreshCDN', 'cdn', true, '/data0/htdocs/cms.xoyo.com/site'],
      ['http', 'http', false, '/opt/tongbu'],
      ['http-2', 'http', false, '/opt/tongbu'],
    ]);
    expect(mapped[0]).toMatchObject({
      command: ['/usr/local/bin/on-change', '--label', 'web site'],
      suffix: ['--done', '>/dev/null'],
      ignoreError: false,
      include: ['(.*)\\.php', '(.*)\\.sh'],
      includeOn: 'absolute',
      skipDotFiles: true,
      changes: ['upsert', 'delete'],
    });
    expect(mapped[2]).toMatchObject({ host: '127.0.0.2', port: 8009, format: 'sersync', skipDotFiles: true });
    expect(mapped[3]).toMatchObject({
      host: 'ccms.chinacache.com',
      port: 80,
      username: 'me',
      passwd: 'p&ss',
      base: 'http://pic.xoyo.com/cms',
      match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images',
      skipDotFiles: true,
    });
    expect(mapped[4]).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:8080/hook',
      body: '{abspath}\n',
    });
    expect(mapped[5]).toMatchObject({
      method: 'GET',
      url: 'http://127.0.0.1:8080/changed?p={path}&c={change}',
    });
    expect(warnings).toEqual([
      `/c.xml:${lineOf(xml, '<plugin start="true" name="refreshCDN"/>')}: sersync read only the first <plugin> switch inside <sersync> (name="command" start="true") and ran only command; rsync-live runs every plugin switched on there (command, refreshCDN): switch the others off to keep sersync's behaviour`,
      `/c.xml:${lineOf(xml, '<param ')}: the command runs once per event (deletions and both sides of a rename included, as in sersync) with the absolute path as ONE argument and no shell: sersync's shell split a name with spaces into several words and ran what a name like "$(…)" said`,
      expect.stringMatching(
        /^\/c\.xml:\d+: the command runs without a shell: redirections, pipes and \$variables/,
      ),
      `/c.xml:${lineOf(xml, '<localpath watch="/data0')}: refreshCDN sends sersync's request (HEAD /index.jsp?…&urls=URL HTTP/1.0), except that a space, "%", "#", "&", "+" or a control character in a name or the login is percent-encoded once (sersync sent it raw, which broke the request)`,
    ]);
  });

  it('refreshCDN without regex: sendurl base + the path', () => {
    const { plugins: mapped } = importSersync(STOCK);
    expect(mapped[2]).toMatchObject({ kind: 'cdn', base: 'http://pic.xoyo.com/cms', match: null });
  });

  it('with socket or refreshCDN on, the plugin folder replaces the synced folder (FileSynchronize.cpp)', () => {
    const xml = conf({ plugins, switches: '<plugin start="true" name="refreshCDN"/>' });
    const { pairs, plugins: mapped, warnings } = importSersync(xml, { file: '/c.xml' });
    expect(pairs.map((p) => [p.folder, p.targets.map((t) => t.url)])).toEqual([
      ['/data0/htdocs/cms.xoyo.com/site', ['rsync://127.0.0.1/tongbu1']],
    ]);
    expect(mapped.find((p) => p.kind === 'cdn')?.folder).toBe('/data0/htdocs/cms.xoyo.com/site');
    expect(warnings).toContain(
      `/c.xml:${lineOf(xml, '<localpath watch="/opt/tongbu"><remote')}: with the refreshCDN plugin on, sersync watched and synced the plugin's folder /data0/htdocs/cms.xoyo.com/site (<plugin name="refreshCDN"><localpath watch>) instead of /opt/tongbu (<sersync><localpath watch>); rsync-live does the same: /data0/htdocs/cms.xoyo.com/site is synced to this <localpath>'s remotes and /opt/tongbu is not synced`,
    );
    // The command plugin keeps the <sersync> folder.
    const command = importSersync(conf({ plugins, switches: '<plugin start="true" name="command"/>' }));
    expect(command.pairs[0]?.folder).toBe('/opt/tongbu');
  });

  it('errors: a switch for an undefined plugin, a command without a program, a bad template', () => {
    const xml = conf({ switches: '<plugin start="true" name="socket"/>' });
    expect(importError(xml).message).toBe(
      `/etc/sersync/confxml.xml:${lineOf(xml, '<plugin start')}: <plugin start="true" name="socket"> has no <plugin name="socket"> definition under <head>`,
    );
    expect(
      importError(conf({ plugins: '<plugin name="command"><param prefix="  "/></plugin>' })).message,
    ).toMatch(/<param prefix=""> is empty: name the program to run/);
    expect(
      importError(conf({ plugins: `<plugin name="command"><param prefix="/bin/x 'open"/></plugin>` }))
        .message,
    ).toMatch(/<param>: unmatched ' in/);
    expect(
      importError(
        conf({
          plugins:
            '<plugin name="http"><localpath watch="/a"><request url="http://h/{file}"/></localpath></plugin>',
        }),
      ).message,
    ).toMatch(/<request>: unknown placeholder \{file\}/);
  });
});
