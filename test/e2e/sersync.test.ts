// End to end: sersync configurations run by `rsync-live sersync` (in-process, through the CLI's runPairs) and
// `rsync-live run --config confxml.xml`, against real rsync daemons and real TCP/HTTP listeners on 127.0.0.1:
// the stock layout to two daemons, several localpaths, createFile off, delete off, attrib off, crontabfilter,
// the fail log and its retry, each plugin, plugin-only mode (-m) and the command-line flags.
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main, runPairs } from '../../electron/cli/main.js';
import { Engine } from '../../electron/engine/index.js';
import { FailLog } from '../../electron/sersync/fail-log.js';
import { importSersync } from '../../electron/sersync/map.js';
import { sersyncCommand } from '../../electron/sersync/cli.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';
import { manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

let a: RsyncDaemon;
let b: RsyncDaemon;
let work: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // One login for both daemons, as sersync has one <auth> for every remote.
  const password = 'sersync-e2e-secret';
  [a, b] = await Promise.all([
    startRsyncDaemon({ password, socketNodelay: true, modules: [{ name: 'tongbu1' }, { name: 'tongbu2' }] }),
    startRsyncDaemon({ password, socketNodelay: true, modules: [{ name: 'tongbu1' }] }),
  ]);
  work = await tempDir('rsync-live-sersync-');
});

afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()]);
  if (work) await fs.rm(work, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function folder(name: string): Promise<string> {
  const dir = path.join(work, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

interface ConfParts {
  filterStart?: boolean;
  inotify?: Partial<Record<string, boolean>>;
  localpaths: string;
  failLog?: string;
  crontab?: string;
  switches?: string;
  plugins?: string;
}

/** The stock confxml.xml layout with paths and hosts adapted to the test daemons. */
function confxml(parts: ConfParts): string {
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
  return `<?xml version="1.0" encoding="ISO-8859-1"?>
<head version="2.5">
    <host hostip="localhost" port="8008"></host>
    <debug start="false"/>
    <fileSystem xfs="false"/>
    <filter start="${parts.filterStart ?? false}">
	<exclude expression="(.*)\\.svn"></exclude>
	<exclude expression="(.*)\\.gz"></exclude>
	<exclude expression="^info/*"></exclude>
	<exclude expression="^static/*"></exclude>
    </filter>
    <inotify>
${Object.entries(inotify)
  .map(([name, on]) => `\t<${name} start="${on}"/>`)
  .join('\n')}
    </inotify>

    <sersync>
${parts.localpaths}
	<rsync>
	    <commonParams params="-artuz"/>
	    <auth start="true" users="${a.user}" passwordfile="${a.passwordFile}"/>
	    <userDefinedPort start="true" port="${a.port}"/><!-- port=874 -->
	    <timeout start="true" time="100"/><!-- timeout=100 -->
	    <ssh start="false"/>
	</rsync>
	${parts.failLog ?? `<failLog path="${work}/rsync_fail_log.sh" timeToExecute="60"/>`}
	${
    parts.crontab ??
    `<crontab start="false" schedule="600"><crontabfilter start="false"><exclude expression="*.php"></exclude></crontabfilter></crontab>`
  }
	${parts.switches ?? '<plugin start="false" name="command"/>'}
    </sersync>
${parts.plugins ?? ''}
</head>
`;
}

async function writeConf(name: string, xml: string): Promise<string> {
  const file = path.join(work, name);
  await fs.writeFile(file, xml);
  return file;
}

interface Running {
  out: string[];
  err: string[];
  all: () => string;
  done: Promise<number>;
  stop: () => Promise<number>;
}

/** `rsync-live sersync ARGS` in-process; stop() is SIGTERM. */
function sersync(args: string[]): Running {
  const out: string[] = [];
  const err: string[] = [];
  let signal!: (name: string) => void;
  const stopSignal = new Promise<string>((resolve) => (signal = resolve));
  const io = {
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
    env: process.env,
    cwd: work,
  };
  const done = sersyncCommand(args, io, (configs, opts, setup) =>
    runPairs(configs, opts, io, stopSignal, setup),
  );
  const running: Running = {
    out,
    err,
    all: () => [...out, ...err].join('\n'),
    done,
    stop: async () => {
      signal('SIGTERM');
      return done;
    },
  };
  cleanups.push(() => running.stop());
  return running;
}

async function watching(run: Running, folders: number): Promise<void> {
  await eventually(
    () =>
      expect(run.out.filter((l) => / watching \//.test(l)).length, run.all()).toBeGreaterThanOrEqual(folders),
    20_000,
  );
}

function remote(daemon: RsyncDaemon, name: string): string {
  return daemon === a
    ? `<remote ip="127.0.0.1" name="${name}"/>`
    : `<remote ip="127.0.0.1" name="${name}" port="${daemon.port}"/>`;
}

const dest = (daemon: RsyncDaemon, module: string, sub: string) =>
  path.join(daemon.modulePaths[module] as string, sub);

describe('the stock confxml.xml layout', () => {
  it('syncs one folder to two daemons with its filter, auth, port, timeout and fail log', async () => {
    const src = await folder('stock');
    await fs.mkdir(path.join(src, 'a/.svn'), { recursive: true });
    await fs.writeFile(path.join(src, 'a/.svn/entries'), 'svn');
    await fs.mkdir(path.join(src, 'info'));
    await fs.writeFile(path.join(src, 'info/x'), 'filtered by ^info/*');
    await fs.mkdir(path.join(src, 'sub/info'), { recursive: true });
    await fs.writeFile(path.join(src, 'sub/info/z'), 'kept: ^info is anchored');
    await fs.writeFile(path.join(src, 'backup.gz'), 'filtered');
    await fs.writeFile(path.join(src, '.htaccess'), 'sersync dropped dotfiles; rsync-live does not');
    await fs.writeFile(path.join(src, 'index.html'), 'hello');
    const file = await writeConf(
      'stock.xml',
      confxml({
        filterStart: true,
        localpaths: `\t<localpath watch="${src}">\n\t    ${remote(a, 'tongbu1/stock')}\n\t    ${remote(b, 'tongbu1/stock')}\n\t</localpath>`,
      }),
    );
    const run = sersync(['-r', '-o', file]);
    await watching(run, 1);
    const excluded = (rel: string) => /(^|\/)\.svn(\/|$)|\.gz$|^info(\/|$)/.test(rel);
    const targets = [dest(a, 'tongbu1', 'stock'), dest(b, 'tongbu1', 'stock')];
    for (const target of targets) await waitForConverge(src, target, { ignore: excluded });
    await fs.writeFile(path.join(src, 'live.txt'), 'live');
    await fs.writeFile(path.join(src, 'live.gz'), 'filtered live');
    await fs.rm(path.join(src, 'index.html'));
    for (const target of targets) {
      await waitForConverge(src, target, { ignore: excluded });
      const names = [...(await manifest(target)).keys()];
      expect(names.filter(excluded)).toEqual([]);
      expect(names).toContain('sub/info/z');
      expect(names).toContain('.htaccess');
    }
    expect(run.err.filter((l) => l.startsWith('warning: '))).toEqual([
      expect.stringMatching(/:3: <host> inside <head> is ignored/),
      expect.stringMatching(/:4: <debug> inside <head> is ignored/),
      expect.stringMatching(/:5: <fileSystem> inside <head> is ignored/),
      expect.stringMatching(
        /failLog: rsync-live writes a readable record \(mode 0600\), never a script to execute: using .*rsync_fail_log\.log/,
      ),
    ]);
    const failLog = await fs.stat(path.join(work, 'rsync_fail_log.log'));
    expect((failLog.mode & 0o777).toString(8)).toBe('600');
    await expect(fs.access(path.join(work, 'rsync_fail_log.sh'))).rejects.toThrow();
    expect(run.out[0]).toMatch(
      /sersync config .*stock\.xml: 1 folder\(s\) → 2 target\(s\); start-up full sync: yes/,
    );
    expect(await run.stop()).toBe(0);
  });

  it('without -r there is no start-up full sync (as in sersync); changes still sync', async () => {
    const src = await folder('no-r');
    await fs.writeFile(path.join(src, 'old.txt'), 'before start');
    const file = await writeConf(
      'no-r.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/no-r')}</localpath>` }),
    );
    const run = sersync(['-o', file]);
    await watching(run, 1);
    await fs.writeFile(path.join(src, 'new.txt'), 'after start');
    const target = dest(a, 'tongbu1', 'no-r');
    await eventually(async () =>
      expect(await fs.readFile(path.join(target, 'new.txt'), 'utf8')).toBe('after start'),
    );
    await expect(fs.access(path.join(target, 'old.txt'))).rejects.toThrow();
    expect(run.out[0]).toMatch(/start-up full sync: no \(add -r\)/);
  });

  it('several <localpath> blocks all work (sersync used only the first)', async () => {
    const [one, two] = [await folder('multi-one'), await folder('multi-two')];
    await fs.writeFile(path.join(one, '1.txt'), 'one');
    await fs.writeFile(path.join(two, '2.txt'), 'two');
    const file = await writeConf(
      'multi.xml',
      confxml({
        localpaths: [
          `<localpath watch="${one}">${remote(a, 'tongbu2/one')}</localpath>`,
          `<localpath watch="${two}">${remote(a, 'tongbu2/two')}${remote(b, 'tongbu1/two')}</localpath>`,
        ].join('\n'),
      }),
    );
    const run = sersync(['-r', '-n', '4', '-o', file]);
    await watching(run, 2);
    await fs.writeFile(path.join(one, 'live1'), 'x');
    await fs.writeFile(path.join(two, 'live2'), 'y');
    await waitForConverge(one, dest(a, 'tongbu2', 'one'));
    await waitForConverge(two, dest(a, 'tongbu2', 'two'));
    await waitForConverge(two, dest(b, 'tongbu1', 'two'));
  });
});

describe('<inotify> toggles', () => {
  it('createFile off: symlinks, hard links and files and folders moved in still replicate (they get no close-write)', async () => {
    const src = await folder('createfile-off');
    const outside = await folder('outside');
    await fs.writeFile(path.join(src, 'original'), 'linked content');
    const file = await writeConf(
      'createfile.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/cf')}</localpath>` }),
    );
    const run = sersync(['-r', '-o', file]);
    await watching(run, 1);
    const target = dest(a, 'tongbu1', 'cf');
    await waitForConverge(src, target);
    await fs.symlink('original', path.join(src, 'link'));
    await fs.symlink('nowhere', path.join(src, 'dangling'));
    await fs.link(path.join(src, 'original'), path.join(src, 'hardlink'));
    await fs.writeFile(path.join(outside, 'moved-in.txt'), 'moved');
    await fs.rename(path.join(outside, 'moved-in.txt'), path.join(src, 'moved-in.txt'));
    await fs.mkdir(path.join(outside, 'tree/deep'), { recursive: true });
    await fs.writeFile(path.join(outside, 'tree/deep/leaf'), 'leaf');
    await fs.rename(path.join(outside, 'tree'), path.join(src, 'tree'));
    await waitForConverge(src, target);
    expect(await fs.readlink(path.join(target, 'dangling'))).toBe('nowhere');
    expect(await fs.readFile(path.join(target, 'tree/deep/leaf'), 'utf8')).toBe('leaf');
  });

  it('attrib off: a chmod alone still reaches the target (-a carries it, as sersync did on the next write)', async () => {
    const src = await folder('attrib-off');
    await fs.writeFile(path.join(src, 'script.sh'), 'echo hi');
    await fs.chmod(path.join(src, 'script.sh'), 0o644);
    const file = await writeConf(
      'attrib.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/attrib')}</localpath>` }),
    );
    const run = sersync(['-r', '-o', file]);
    await watching(run, 1);
    const target = dest(a, 'tongbu1', 'attrib');
    await waitForConverge(src, target);
    await fs.chmod(path.join(src, 'script.sh'), 0o750);
    await eventually(async () =>
      expect(((await fs.stat(path.join(target, 'script.sh'))).mode & 0o777).toString(8)).toBe('750'),
    );
  });

  it('delete off (backup mode): deleted files stay on the target, live and in full syncs', async () => {
    const src = await folder('delete-off');
    await fs.writeFile(path.join(src, 'keep-me.txt'), 'precious');
    await fs.mkdir(path.join(src, 'dir'));
    await fs.writeFile(path.join(src, 'dir/inner'), 'inner');
    const xml = confxml({
      inotify: { delete: false },
      localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/keep')}</localpath>`,
    });
    const file = await writeConf('keep.xml', xml);
    const run = sersync(['-r', '-o', file]);
    await watching(run, 1);
    const target = dest(a, 'tongbu1', 'keep');
    await waitForConverge(src, target);
    await fs.rm(path.join(src, 'keep-me.txt'));
    await fs.rm(path.join(src, 'dir'), { recursive: true });
    await fs.writeFile(path.join(src, 'after.txt'), 'proves the deletions were processed first');
    await eventually(async () =>
      expect(await fs.readFile(path.join(target, 'after.txt'), 'utf8')).toBeTruthy(),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await fs.readFile(path.join(target, 'keep-me.txt'), 'utf8')).toBe('precious');
    expect(await fs.readFile(path.join(target, 'dir/inner'), 'utf8')).toBe('inner');
    await run.stop();
    const again = sersync(['-r', '-o', file]);
    await eventually(
      () =>
        expect(
          again.out.some((l) => /full sync: .* ok/.test(l)),
          again.all(),
        ).toBe(true),
      20_000,
    );
    expect(await fs.readFile(path.join(target, 'keep-me.txt'), 'utf8')).toBe('precious');
  });
});

describe('<crontab> with <crontabfilter>', () => {
  it('scheduled full syncs repair the target and skip the crontabfilter patterns', async () => {
    const src = await folder('crontab');
    await fs.writeFile(path.join(src, 'page.html'), 'html');
    await fs.writeFile(path.join(src, 'skip.php'), 'php');
    await fs.mkdir(path.join(src, 'sub/info'), { recursive: true });
    await fs.writeFile(path.join(src, 'sub/info/deep'), 'info/* matches at any depth, as rsync did');
    const xml = confxml({
      localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/cron')}</localpath>`,
      crontab: `<crontab start="true" schedule="1"><crontabfilter start="true"><exclude expression="*.php"></exclude><exclude expression="info/*"></exclude></crontabfilter></crontab>`,
    });
    const imported = importSersync(xml, { startupSync: false });
    const pair = imported.pairs[0]!;
    expect(pair.fullSync).toEqual({
      onStart: false,
      schedule: '* * * * *',
      excludes: ['*.php', 'info/*', '**/info/*'],
    });
    // One minute is sersync's smallest schedule; run it every second here.
    const engine = new Engine();
    cleanups.push(() => engine.stop());
    await engine.addPair({ ...pair, fullSync: { ...pair.fullSync, schedule: '* * * * * *' } });
    const target = dest(a, 'tongbu1', 'cron');
    await eventually(
      async () => expect(await fs.readFile(path.join(target, 'page.html'), 'utf8')).toBe('html'),
      5_000,
    );
    await fs.rm(path.join(target, 'page.html'));
    await eventually(
      async () => expect(await fs.readFile(path.join(target, 'page.html'), 'utf8')).toBe('html'),
      5_000,
    );
    await expect(fs.access(path.join(target, 'skip.php'))).rejects.toThrow();
    await expect(fs.access(path.join(target, 'sub/info/deep'))).rejects.toThrow();
  });
});

describe('<failLog>', () => {
  it('records failed paths (0600, readable) and retries them on timeToExecute, before the backoff would', async () => {
    const src = await folder('faillog');
    const xml = confxml({
      localpaths: `<localpath watch="${src}">${remote(b, 'tongbu1/fail')}</localpath>`,
      failLog: `<failLog path="${work}/fail.log" timeToExecute="1"/>`,
    });
    const imported = importSersync(xml, { startupSync: false });
    expect(imported.failLog).toEqual({ path: `${work}/fail.log`, retryMinutes: 1 });
    const engine = new Engine();
    cleanups.push(() => engine.stop());
    // timeToExecute is in minutes; the same FailLog runs every 300 ms here.
    const failLog = new FailLog(engine, { path: imported.failLog!.path, retryMs: 300, log: () => {} });
    await failLog.open();
    failLog.start();
    cleanups.push(() => failLog.stop());
    await engine.addPair(imported.pairs[0]!);
    await b.stop();
    cleanups.push(() => b.start());
    await fs.writeFile(path.join(src, 'while down.txt'), 'x');
    await eventually(async () =>
      expect(await fs.readFile(`${work}/fail.log`, 'utf8')).toContain('path="while down.txt"'),
    );
    const record = await fs.readFile(`${work}/fail.log`, 'utf8');
    expect(record).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z pair=faillog target=rsync://backup@127\\.0\\.0\\.1:${b.port}/tongbu1/fail exit=\\d+ path="while down\\.txt" error="[^"]*connection refused[^"]*"\\n$`,
      ),
    );
    expect(((await fs.stat(`${work}/fail.log`)).mode & 0o777).toString(8)).toBe('600');
    // Let the engine's backoff grow past the retry period, then bring the daemon back.
    await new Promise((r) => setTimeout(r, 2_500));
    await b.start();
    const back = Date.now();
    await eventually(async () =>
      expect(await fs.readFile(path.join(dest(b, 'tongbu1', 'fail'), 'while down.txt'), 'utf8')).toBe('x'),
    );
    expect(Date.now() - back).toBeLessThan(1_500);
    await eventually(async () =>
      expect(await fs.readFile(`${work}/fail.log`, 'utf8')).toMatch(
        /recovered: the 1 path\(s\) above were sent/,
      ),
    );
  });
});

describe('plugins', () => {
  let tcpLines: string[];
  let tcpServer: net.Server;
  const tcpSockets = new Set<net.Socket>();
  let httpRequests: { method: string; url: string; body: string }[];
  let httpServer: http.Server;
  let tcpPort: number;
  let httpPort: number;

  beforeAll(async () => {
    tcpLines = [];
    tcpServer = net.createServer((socket) => {
      tcpSockets.add(socket);
      socket.on('close', () => tcpSockets.delete(socket));
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        let at;
        while ((at = buffer.indexOf('\n')) >= 0) {
          tcpLines.push(buffer.slice(0, at));
          buffer = buffer.slice(at + 1);
        }
      });
    });
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    tcpPort = (tcpServer.address() as net.AddressInfo).port;
    httpRequests = [];
    httpServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        httpRequests.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    httpPort = (httpServer.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of tcpSockets) socket.destroy();
    await new Promise((r) => tcpServer?.close(r));
    httpServer.closeAllConnections();
    await new Promise((r) => httpServer?.close(r));
  });

  it('command, socket, refreshCDN and http run for each change, after the sync, argv-safe', async () => {
    const src = await folder('plugins');
    const target = dest(a, 'tongbu1', 'plugins');
    const record = path.join(work, 'command.out');
    const script = path.join(work, 'record.sh');
    await fs.writeFile(
      script,
      `if [ -e "${target}/$RSYNC_LIVE_PATH" ]; then s=synced; else s=early; fi\nprintf '%s %s %s\\n' "$s" "$1" "$2" >> "${record}"\n`,
    );
    const plugins = `
    <plugin name="command">
	<param prefix="/bin/sh ${script}" suffix="--done" ignoreError="false"/>
	<filter start="true">
	    <include expression="(.*)\\.php"/>
	</filter>
    </plugin>
    <plugin name="socket">
	<localpath watch="${src}"><deshost ip="127.0.0.1" port="${tcpPort}"/></localpath>
    </plugin>
    <plugin name="refreshCDN">
	<localpath watch="${src}/site/">
	    <cdninfo domainname="127.0.0.1" port="${httpPort}" username="me" passwd="s3cret"/>
	    <sendurl base="http://cdn.example/static"/>
	    <regexurl regex="false" match=""/>
	</localpath>
    </plugin>
    <plugin name="http">
	<localpath watch="${src}"><deshost ip="127.0.0.1" port="${httpPort}" path="/hook"/></localpath>
    </plugin>`;
    const file = await writeConf(
      'plugins.xml',
      confxml({
        localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/plugins')}</localpath>`,
        switches: ['command', 'socket', 'refreshCDN', 'http']
          .map((n) => `<plugin start="true" name="${n}"/>`)
          .join(''),
        plugins,
      }),
    );
    const run = sersync(['-o', file]);
    await watching(run, 1);
    const weird = `we "ird" $(touch pwned) \`touch pwned\` 'x.php`;
    await fs.writeFile(path.join(src, 'index.php'), '<?php');
    await fs.writeFile(path.join(src, weird), 'php');
    await fs.writeFile(path.join(src, 'notes.txt'), 'not php');
    await fs.mkdir(path.join(src, 'site/img'), { recursive: true });
    await fs.writeFile(path.join(src, 'site/img/a b.png'), 'png');
    await eventually(async () => {
      // Once per release of a path: a file whose writing paused for longer than the quiet period may be
      // released (and synced, and announced) twice; every run comes after its sync.
      const lines = new Set((await fs.readFile(record, 'utf8')).trim().split('\n'));
      expect([...lines].sort()).toEqual(
        [`synced ${src}/${weird} --done`, `synced ${src}/index.php --done`].sort(),
      );
    });
    for (const dir of [src, work]) await expect(fs.access(path.join(dir, 'pwned'))).rejects.toThrow();
    await eventually(() =>
      expect(new Set(tcpLines)).toEqual(
        new Set([
          `${src}/index.php`,
          `${src}/${weird}`,
          `${src}/notes.txt`,
          `${src}/site`,
          `${src}/site/img`,
          `${src}/site/img/a b.png`,
        ]),
      ),
    );
    await eventually(() => {
      const cdn = httpRequests
        .filter((r) => r.url.startsWith('/index.jsp'))
        .map((r) => `${r.method} ${r.url}`);
      expect(cdn.sort()).toEqual(
        [
          `GET /index.jsp?user=me&pswd=s3cret&ok=ok&dirs=${encodeURIComponent('http://cdn.example/static/img')}`,
          `GET /index.jsp?user=me&pswd=s3cret&ok=ok&urls=${encodeURIComponent('http://cdn.example/static/img/a%20b.png')}`,
        ].sort(),
      );
    });
    await eventually(() =>
      expect(httpRequests.filter((r) => r.url === '/hook').map((r) => `${r.method} ${r.body}`)).toContain(
        `POST ${src}/notes.txt\n`,
      ),
    );
    tcpLines.length = 0;
    await fs.rm(path.join(src, 'notes.txt'));
    await eventually(() => expect(tcpLines).toEqual([`${src}/notes.txt`]));
    expect(run.all()).not.toContain('s3cret');
  });

  it('a failing plugin is logged with what to do and never stops syncing', async () => {
    const src = await folder('plugin-fails');
    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const file = await writeConf(
      'plugin-fails.xml',
      confxml({
        localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/plugin-fails')}</localpath>`,
        switches: '<plugin start="true" name="socket"/>',
        plugins: `<plugin name="socket"><localpath watch="${src}"><deshost ip="127.0.0.1" port="${closedPort}"/></localpath></plugin>`,
      }),
    );
    const run = sersync(['-o', file]);
    await watching(run, 1);
    await fs.writeFile(path.join(src, 'a.txt'), 'a');
    await waitForConverge(src, dest(a, 'tongbu1', 'plugin-fails'));
    await eventually(
      () =>
        expect(run.err.join('\n')).toMatch(
          /warning: plugin socket: cannot send to 127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the listener running and reachable\?; gave up on this path after 4 attempts/,
        ),
      15_000,
    );
    await fs.writeFile(path.join(src, 'b.txt'), 'b');
    await waitForConverge(src, dest(a, 'tongbu1', 'plugin-fails'));
  });

  it('-m socket runs only that plugin: no rsync', async () => {
    const src = await folder('plugin-only');
    const file = await writeConf(
      'plugin-only.xml',
      confxml({
        localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/plugin-only')}</localpath>`,
        plugins: `<plugin name="socket"><localpath watch="${src}"><deshost ip="127.0.0.1" port="${tcpPort}"/></localpath></plugin>`,
      }),
    );
    tcpLines.length = 0;
    const run = sersync(['-m', 'socket', '-o', file]);
    await watching(run, 1);
    await fs.writeFile(path.join(src, 'only.txt'), 'x');
    await eventually(() => expect(tcpLines).toEqual([`${src}/only.txt`]));
    await new Promise((r) => setTimeout(r, 300));
    await expect(fs.access(dest(a, 'tongbu1', 'plugin-only'))).rejects.toThrow();
    expect(run.out[0]).toMatch(/plugin socket only \(no rsync\)/);
  });
});

describe('command line', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: process.env, cwd: work },
    };
  };

  it('run --config detects a confxml.xml and runs it (with --once: one full sync, then exit)', async () => {
    const src = await folder('run-config');
    await fs.writeFile(path.join(src, 'f.txt'), 'f');
    const file = await writeConf(
      'run.xml',
      confxml({
        localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/run')}${remote(b, 'tongbu1/run')}</localpath>`,
      }),
    );
    const { io: cli, out } = io();
    expect(await main(['run', '--config', file, '--once'], cli)).toBe(0);
    await waitForConverge(src, dest(a, 'tongbu1', 'run'));
    await waitForConverge(src, dest(b, 'tongbu1', 'run'));
    expect(out.join('\n')).toMatch(/full sync: 1 file sent .* ok/);
  });

  it('a password file readable by others is refused, as rsync would', async () => {
    const src = await folder('loose-password');
    const loose = path.join(work, 'loose.pas');
    await fs.writeFile(loose, `${a.password}\n`, { mode: 0o644 });
    await fs.chmod(loose, 0o644);
    const file = await writeConf(
      'loose.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/loose')}</localpath>` }).replace(
        a.passwordFile,
        loose,
      ),
    );
    const { io: cli, err } = io();
    expect(await main(['run', '--config', file, '--once'], cli)).not.toBe(0);
    expect(err.join('\n')).toContain(
      `password file ${loose} has mode 0644, readable by others: run chmod 600 ${loose}`,
    );
  });

  it('errors carry the line; -m and unknown flags are checked; -d is explained', async () => {
    const badXml = confxml({ localpaths: '<localpath watch="/x"><remote ip="h" nmae="m"/></localpath>' });
    const bad = await writeConf('bad.xml', badXml);
    const badLine = badXml.slice(0, badXml.indexOf('nmae')).split('\n').length;
    const first = io();
    expect(await main(['sersync', '-o', bad], first.io)).toBe(1);
    expect(first.err.join('\n')).toMatch(
      new RegExp(
        `^rsync-live: .*bad\\.xml:${badLine}:\\d+: <remote> inside <localpath> has no attribute "nmae"`,
      ),
    );
    const src = await folder('flags');
    const good = await writeConf(
      'flags.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/flags')}</localpath>` }),
    );
    const second = io();
    expect(await main(['sersync', '-m', 'nope', '-o', good], second.io)).toBe(2);
    expect(second.err.join('\n')).toMatch(/-m nope: sersync's plugins are command, socket, refreshCDN, http/);
    const third = io();
    expect(await main(['sersync', '-x'], third.io)).toBe(2);
    expect(third.err.join('\n')).toMatch(/Unknown option '-x'[\s\S]*Usage: rsync-live sersync/);
    const run = sersync(['-d', '-r', '-o', good]);
    await watching(run, 1);
    expect(run.out[0]).toMatch(
      /-d \(daemon mode\) is not needed: rsync-live stays in the foreground; .*systemd .*build\/rsync-live\.service/,
    );
    expect(await run.stop()).toBe(0);
  });
});
