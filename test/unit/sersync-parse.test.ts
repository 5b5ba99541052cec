// confxml.xml parsing: the stock file as sersync 2.5.4 ships it, every error located by line, obsolete
// elements and stray text as warnings.
import { describe, expect, it } from 'vitest';
import { parseSersync } from '../../electron/sersync/parse.js';
import { decodeConfig, looksLikeXml, SersyncConfigError } from '../../electron/sersync/xml.js';
import { STOCK } from '../helpers/sersync-config.js';

function errorOf(xml: string): SersyncConfigError {
  try {
    parseSersync(xml, 'confxml.xml');
  } catch (error) {
    if (error instanceof SersyncConfigError) return error;
    throw error;
  }
  throw new Error('expected a SersyncConfigError');
}

/** The stock file with one line replaced (1-based). */
function withLine(line: number, text: string): string {
  const lines = STOCK.split('\n');
  lines[line - 1] = text;
  return lines.join('\n');
}

describe('parseSersync: the stock confxml.xml', () => {
  it('reads every element', () => {
    const doc = parseSersync(STOCK, 'confxml.xml');
    expect(doc.filter).toMatchObject({ start: false, line: 6 });
    expect(doc.filter?.excludes.map((e) => e.expression)).toEqual([
      '(.*)\\.svn',
      '(.*)\\.gz',
      '^info/*',
      '^static/*',
    ]);
    expect(doc.filter?.excludes[2]?.line).toBe(9);
    expect(Object.fromEntries(Object.entries(doc.inotify).map(([k, v]) => [k, v.start]))).toEqual({
      delete: true,
      createFolder: true,
      createFile: false,
      closeWrite: true,
      moveFrom: true,
      moveTo: true,
      attrib: false,
      modify: false,
    });
    expect(doc.localpaths).toEqual([
      {
        line: 24,
        watch: '/opt/tongbu',
        remotes: [{ line: 25, ip: '127.0.0.1', name: 'tongbu1', port: null }],
      },
    ]);
    expect(doc.rsync.commonParams?.params).toBe('-artuz');
    expect(doc.rsync.auth).toMatchObject({ start: false, users: 'root', passwordfile: '/etc/rsync.pas' });
    expect(doc.rsync.userDefinedPort).toMatchObject({ start: false, port: 874 });
    expect(doc.rsync.timeout).toMatchObject({ start: false, time: 100 });
    expect(doc.rsync.ssh).toMatchObject({ start: false });
    expect(doc.failLog).toMatchObject({ path: '/tmp/rsync_fail_log.sh', timeToExecute: 60 });
    expect(doc.crontab).toMatchObject({ start: false, schedule: 600 });
    expect(doc.crontab?.filter?.excludes.map((e) => e.expression)).toEqual(['*.php', 'info/*']);
    expect(doc.pluginSwitches).toEqual([{ line: 43, start: false, name: 'command' }]);
    expect(doc.plugins.map((p) => p.name)).toEqual(['command', 'socket', 'refreshCDN']);
    const cdn = doc.plugins[2];
    expect(cdn?.name === 'refreshCDN' && cdn.localpaths[0]).toMatchObject({
      watch: '/data0/htdocs/cms.xoyo.com/site/',
      cdninfo: { domainname: 'ccms.chinacache.com', port: 80, username: 'xxxx', passwd: 'xxxx' },
      sendurl: { base: 'http://pic.xoyo.com/cms' },
      regexurl: { regex: false, match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images' },
    });
  });

  it('warns, with the line, that host, debug and fileSystem are ignored and why', () => {
    const { warnings } = parseSersync(STOCK, 'confxml.xml');
    expect(warnings).toEqual([
      expect.stringMatching(/^confxml\.xml:3: <host> inside <head> is ignored: a field sersync reserved/),
      expect.stringMatching(/^confxml\.xml:4: <debug> inside <head> is ignored: rsync-live always logs/),
      expect.stringMatching(
        /^confxml\.xml:5: <fileSystem> inside <head> is ignored: sersync needed it on XFS/,
      ),
    ]);
  });

  it('warns about stray text (annotated copies of the config) instead of failing', () => {
    const doc = parseSersync(withLine(12, '    <inotify>  ## inotify settings'), 'c.xml');
    expect(doc.warnings).toContainEqual(
      expect.stringMatching(/^c\.xml:12: text "## inotify settings" inside <inotify> is ignored/),
    );
  });

  it('several <localpath> blocks (an rsync-live extension: sersync used the first)', () => {
    const xml = STOCK.replace(
      '</localpath>\n\t<rsync>',
      '</localpath>\n\t<localpath watch="/srv/b"><remote ip="10.0.0.2" name="b" port="8873"/></localpath>\n\t<rsync>',
    );
    const doc = parseSersync(xml, 'c.xml');
    expect(doc.localpaths.map((l) => [l.watch, l.remotes[0]?.port])).toEqual([
      ['/opt/tongbu', null],
      ['/srv/b', 8873],
    ]);
  });
});

describe('parseSersync: names and switches as sersync read them (xmlParser.cpp, Initialize.cpp)', () => {
  it('element and attribute names without case: <Delete START="true"/> is <delete start="true"/>', () => {
    const xml = STOCK.replace('<delete start="true"/>', '<Delete START="true"/>')
      .replace('<localpath watch="/opt/tongbu">', '<LocalPath Watch="/opt/tongbu">')
      .replace('</localpath>\n\t<rsync>', '</LOCALPATH>\n\t<rsync>')
      .replace('<remote ip="127.0.0.1" name="tongbu1"/>', '<Remote IP="127.0.0.1" NAME="tongbu1"/>')
      .replace('<plugin name="socket">', '<Plugin Name="socket">')
      .replace(/<\/plugin>\n {4}<plugin name="refreshCDN">/, '</PLUGIN>\n    <plugin name="refreshCDN">');
    const doc = parseSersync(xml, 'c.xml');
    expect(doc.inotify.delete?.start).toBe(true);
    expect(doc.localpaths).toMatchObject([
      { watch: '/opt/tongbu', remotes: [{ ip: '127.0.0.1', name: 'tongbu1' }] },
    ]);
    expect(doc.plugins.map((p) => p.name)).toEqual(['command', 'socket', 'refreshCDN']);
  });

  it('only the exact value "true" is on: TRUE, True, " true" and yes are off, with a warning', () => {
    for (const value of ['TRUE', 'True', ' true', 'yes', '1']) {
      const xml = STOCK.replace('<delete start="true"/>', `<delete start="${value}"/>`);
      const doc = parseSersync(xml, 'c.xml');
      expect(doc.inotify.delete?.start, value).toBe(false);
      expect(doc.warnings).toContain(
        `c.xml:13: start="${value}" on <delete> inside <inotify> counts as "false": sersync switched a setting on only for the exact value "true" (write "true" to switch it on, "false" to say off)`,
      );
    }
    expect(parseSersync(STOCK, 'c.xml').inotify.delete?.start).toBe(true);
  });
});

describe('parseSersync: errors name the file, line and column', () => {
  it('malformed XML', () => {
    const error = errorOf(withLine(13, '\t<delete start="true">'));
    expect(error.message).toMatch(/^confxml\.xml:21:\d+: not well-formed XML: unexpected close tag/);
  });

  it('an unknown element, with the ones that belong there', () => {
    const error = errorOf(withLine(19, '\t<attribs start="false"/>'));
    expect([error.line, error.column]).toEqual([19, 2]);
    expect(error.message).toMatch(
      /^confxml\.xml:19:\d+: unknown element <attribs> inside <inotify>: expected <delete>, <createFolder>, <createFile>, <closeWrite>, <moveFrom>, <moveTo>, <attrib>, <modify>$/,
    );
  });

  it('an unknown attribute (a typo sersync silently ignored)', () => {
    const error = errorOf(withLine(25, '\t    <remote ip="127.0.0.1" nmae="tongbu1"/>'));
    expect(error.message).toMatch(
      /^confxml\.xml:25:\d+: <remote> inside <localpath> has no attribute "nmae": it takes "ip", "name", "port"$/,
    );
  });

  it('a missing required attribute', () => {
    expect(errorOf(withLine(25, '\t    <remote ip="127.0.0.1"/>')).message).toMatch(
      /^confxml\.xml:25:\d+: <remote> inside <localpath> needs the attribute name="…"$/,
    );
  });

  it('a number that is not a number', () => {
    expect(errorOf(withLine(32, '\t    <userDefinedPort start="true" port="87x"/>')).message).toMatch(
      /^confxml\.xml:32:\d+: port="87x" on <userDefinedPort> inside <rsync>: expected a whole number$/,
    );
  });

  it('an element twice where sersync reads one', () => {
    expect(errorOf(withLine(29, '\t<rsync></rsync><rsync>')).message).toMatch(
      /^confxml\.xml:29:\d+: <rsync> appears twice inside <sersync> \(first on line 29\): keep one$/,
    );
  });

  it('a wrong root, a missing <sersync>, an unknown or duplicate plugin', () => {
    expect(errorOf('<config/>').message).toBe(
      'confxml.xml:1:1: the root element is <config>, expected <head version="2.5">: is this a sersync confxml.xml?',
    );
    expect(errorOf('<head version="2.5">\n</head>').message).toMatch(
      /^confxml\.xml:1:1: <head> has no <sersync> element/,
    );
    expect(errorOf(STOCK.replace('<plugin name="socket">', '<plugin name="sockets">')).message).toMatch(
      /^confxml\.xml:54:\d+: unknown plugin name "sockets": sersync's plugins are "command", "socket", "refreshCDN", "http"$/,
    );
    const twice = STOCK.replace('</head>', '<plugin name="socket"><localpath watch="/x"/></plugin>\n</head>');
    expect(errorOf(twice).message).toMatch(
      /^confxml\.xml:66: <plugin name="socket"> is defined twice \(first on line 54\): keep one$/,
    );
  });

  it('an unknown element inside a plugin', () => {
    expect(errorOf(STOCK.replace('<sendurl base=', '<sendurls base=')).message).toMatch(
      /^confxml\.xml:62:\d+: unknown element <sendurls> inside <localpath>: expected <cdninfo>, <sendurl>, <regexurl>$/,
    );
  });

  it('refuses a DOCTYPE (no entity tricks) and empty input', () => {
    expect(errorOf('<!DOCTYPE head [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<head/>').message).toMatch(
      /DOCTYPE.* is not allowed/,
    );
    expect(errorOf('   ').message).toMatch(/^confxml\.xml:.*(not well-formed XML|no XML element found)/);
  });
});

describe('config text', () => {
  it('tells XML from JSON', () => {
    expect(looksLikeXml(STOCK)).toBe(true);
    expect(looksLikeXml('\uFEFF  \n<head/>')).toBe(true);
    expect(looksLikeXml('{"version":1,"pairs":[]}')).toBe(false);
  });

  it('decodes UTF-8 paths despite the ISO-8859-1 declaration, and real Latin-1 too', () => {
    const utf8 = Buffer.from('<head><sersync><localpath watch="/srv/日本"/></sersync></head>', 'utf8');
    expect(decodeConfig(utf8)).toContain('/srv/日本');
    const latin1 = Buffer.from(
      '<head><sersync><localpath watch="/srv/caf\u00e9"/></sersync></head>',
      'latin1',
    );
    expect(decodeConfig(latin1)).toContain('/srv/café');
  });
});
