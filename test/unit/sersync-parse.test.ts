// confxml.xml parsing: the stock file as sersync 2.5.4 ships it, every error located by line, obsolete
// elements and stray text as warnings.
import { describe, expect, it } from 'vitest';
import { parseSersync } from '../../electron/sersync/parse.js';
import { decodeConfig, looksLikeXml, SersyncConfigError } from '../../electron/sersync/xml.js';

/** sersync 2.5.4's confxml.xml, byte for byte apart from the indentation. */
export const STOCK = `<?xml version="1.0" encoding="ISO-8859-1"?>
<head version="2.5">
    <host hostip="localhost" port="8008"></host>
    <debug start="false"/>
    <fileSystem xfs="false"/>
    <filter start="false">
	<exclude expression="(.*)\\.svn"></exclude>
	<exclude expression="(.*)\\.gz"></exclude>
	<exclude expression="^info/*"></exclude>
	<exclude expression="^static/*"></exclude>
    </filter>
    <inotify>
	<delete start="true"/>
	<createFolder start="true"/>
	<createFile start="false"/>
	<closeWrite start="true"/>
	<moveFrom start="true"/>
	<moveTo start="true"/>
	<attrib start="false"/>
	<modify start="false"/>
    </inotify>

    <sersync>
	<localpath watch="/opt/tongbu">
	    <remote ip="127.0.0.1" name="tongbu1"/>
	    <!--<remote ip="192.168.8.39" name="tongbu"/>-->
	    <!--<remote ip="192.168.8.40" name="tongbu"/>-->
	</localpath>
	<rsync>
	    <commonParams params="-artuz"/>
	    <auth start="false" users="root" passwordfile="/etc/rsync.pas"/>
	    <userDefinedPort start="false" port="874"/><!-- port=874 -->
	    <timeout start="false" time="100"/><!-- timeout=100 -->
	    <ssh start="false"/>
	</rsync>
	<failLog path="/tmp/rsync_fail_log.sh" timeToExecute="60"/><!--default every 60mins execute once-->
	<crontab start="false" schedule="600"><!--600mins-->
	    <crontabfilter start="false">
		<exclude expression="*.php"></exclude>
		<exclude expression="info/*"></exclude>
	    </crontabfilter>
	</crontab>
	<plugin start="false" name="command"/>
    </sersync>

    <plugin name="command">
	<param prefix="/bin/sh" suffix="" ignoreError="true"/>	<!--prefix /opt/tongbu/mmm.sh suffix-->
	<filter start="false">
	    <include expression="(.*)\\.php"/>
	    <include expression="(.*)\\.sh"/>
	</filter>
    </plugin>

    <plugin name="socket">
	<localpath watch="/opt/tongbu">
	    <deshost ip="192.168.138.20" port="8009"/>
	</localpath>
    </plugin>
    <plugin name="refreshCDN">
	<localpath watch="/data0/htdocs/cms.xoyo.com/site/">
	    <cdninfo domainname="ccms.chinacache.com" port="80" username="xxxx" passwd="xxxx"/>
	    <sendurl base="http://pic.xoyo.com/cms"/>
	    <regexurl regex="false" match="cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images"/>
	</localpath>
    </plugin>
</head>
`;

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

  it('accepts True/FALSE in any case, and several <localpath> blocks', () => {
    const xml = STOCK.replace('<delete start="true"/>', '<delete start="FALSE"/>').replace(
      '</localpath>\n\t<rsync>',
      '</localpath>\n\t<localpath watch="/srv/b"><remote ip="10.0.0.2" name="b" port="8873"/></localpath>\n\t<rsync>',
    );
    const doc = parseSersync(xml, 'c.xml');
    expect(doc.inotify.delete?.start).toBe(false);
    expect(doc.localpaths.map((l) => [l.watch, l.remotes[0]?.port])).toEqual([
      ['/opt/tongbu', null],
      ['/srv/b', 8873],
    ]);
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

  it('a boolean that is not true/false and a number that is not a number', () => {
    expect(errorOf(withLine(13, '\t<delete start="yes"/>')).message).toMatch(
      /^confxml\.xml:13:\d+: start="yes" on <delete> inside <inotify>: write "true" or "false"$/,
    );
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
    expect(errorOf(STOCK.replace('<sendurl base=', '<sendURL base=')).message).toMatch(
      /^confxml\.xml:62:\d+: unknown element <sendURL> inside <localpath>: expected <cdninfo>, <sendurl>, <regexurl>$/,
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
