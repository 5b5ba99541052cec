// End to end: sersync configurations run by `rsync-live sersync` (in-process, through the CLI's runPairs) and
// `rsync-live run --config confxml.xml`, against real rsync daemons and real TCP/HTTP listeners on 127.0.0.1:
// the stock layout to two daemons, several localpaths, createFile off, delete off, attrib off, crontabfilter,
// the fail log and its retry, each plugin, plugin-only mode (-m) and the command-line flags.
import { execa } from 'execa';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main, runPairs } from '../../electron/cli/main.js';
import { Engine } from '../../electron/engine/index.js';
import { FailLog } from '../../electron/sersync/fail-log.js';
import { startFullSyncInterval } from '../../electron/sersync/interval.js';
import { importSersync } from '../../electron/sersync/map.js';
import { sersyncCommand } from '../../electron/sersync/cli.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { stockConfxml, type InotifyName } from '../helpers/sersync-config.js';

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
  inotify?: Partial<Record<InotifyName, boolean>>;
  localpaths: string;
  failLog?: string;
  crontab?: string;
  switches?: string;
  plugins?: string;
}

/** The stock confxml.xml (test/fixtures/sersync) with paths, hosts and login adapted to the test daemons. */
function confxml(parts: ConfParts): string {
  return stockConfxml({
    filterStart: parts.filterStart ?? false,
    ...(parts.inotify ? { inotify: parts.inotify } : {}),
    localpaths: parts.localpaths,
    rsyncAttrs: {
      auth: `start="true" users="${a.user}" passwordfile="${a.passwordFile}"`,
      userDefinedPort: `start="true" port="${a.port}"`,
      timeout: 'start="true" time="100"',
    },
    failLog: parts.failLog ?? `\t<failLog path="${work}/rsync_fail_log.sh" timeToExecute="60"/>`,
    ...(parts.crontab !== undefined ? { crontab: parts.crontab } : {}),
    ...(parts.switches !== undefined ? { switches: parts.switches } : {}),
    plugins: parts.plugins ?? '',
  });
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
        /:16: <closeWrite start="true">: rsync-live also sends a file once its writer closed it/,
      ),
      expect.stringMatching(
        /:6: sersync skipped the -r start-up sync when <filter> is on; rsync-live runs it/,
      ),
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
  it('full syncs every N minutes from start (an interval) repair the target and skip the crontabfilter patterns', async () => {
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
    expect(imported.fullSyncEveryMinutes).toBe(1);
    expect(pair.fullSync).toEqual({
      onStart: false,
      schedule: null,
      excludes: ['*.php', 'info/*', '**/info/*'],
    });
    // The interval on a clock the test moves: one minute passes when the test says so.
    const engine = new Engine();
    cleanups.push(() => engine.stop());
    await engine.addPair(pair);
    const clock = new FakeClock();
    const stop = startFullSyncInterval(engine, [pair.id], 1, clock);
    cleanups.push(async () => stop());
    const target = dest(a, 'tongbu1', 'cron');
    await expect(fs.access(path.join(target, 'page.html'))).rejects.toThrow();
    clock.advance(59_000);
    clock.advance(1_000);
    await eventually(
      async () => expect(await fs.readFile(path.join(target, 'page.html'), 'utf8')).toBe('html'),
      20_000,
    );
    await engine.whenIdle();
    await fs.rm(path.join(target, 'page.html'));
    clock.advance(60_000);
    await eventually(
      async () => expect(await fs.readFile(path.join(target, 'page.html'), 'utf8')).toBe('html'),
      20_000,
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
    // sersync's framing: one connection per path, the path alone; what a connection carried is one record.
    tcpLines = [];
    tcpServer = net.createServer((socket) => {
      tcpSockets.add(socket);
      socket.on('close', () => tcpSockets.delete(socket));
      let buffer = '';
      socket.on('data', (chunk) => (buffer += chunk.toString('utf8')));
      socket.on('end', () => {
        tcpLines.push(buffer);
        socket.end();
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

  it('command, socket, refreshCDN and http run for each change (deletions too), after the sync, argv-safe', async () => {
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
      // Distinct, as for the socket lines: a file written into a directory just made may be reported by the
      // directory's listing and by its own close, and sersync also fired once per event.
      expect([...new Set(cdn)].sort()).toEqual(
        [
          'HEAD /index.jsp?user=me&pswd=s3cret&ok=ok&dirs=http://cdn.example/static/img/',
          'HEAD /index.jsp?user=me&pswd=s3cret&ok=ok&urls=http://cdn.example/static/img/a%20b.png',
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

describe('plugins: the same operations as sersync 2.5.4, the same emissions', () => {
  // What the sersync 2.5.4 binary emitted (run side by side on this config, one plugin at a time) for:
  // write a.txt, mkdir sub, write "sub/new pic.png", mv a.txt b.txt, rm b.txt, write .hidden, rm -r sub.
  // command "$#:$*": 2:D/a.txt SUF, 2:D/sub SUF, 3:D/sub/new pic.png SUF (its shell split the name), 2:D/b.txt SUF
  // socket, one connection each: D/a.txt, D/sub, D/sub/new pic.png, D/b.txt (raw, no newline)
  // refreshCDN: HEAD /index.jsp?user=me&pswd=pw&ok=ok&urls=http://pic.xoyo.com/cms/jx3/a.txt HTTP/1.0, …&dirs=…/jx3/sub/,
  //   …&urls=…/jx3/sub/new pic.png (a raw space: rsync-live sends %20), …&urls=…/jx3/b.txt; Host: 127.0.0.1
  // Deletions and both sides of the rename fire every plugin; .hidden fires none.
  let records: string[];
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();

  /** A raw TCP listener: each connection's bytes are one record; with `http`, answers once the head is in. */
  async function listener(http: boolean): Promise<number> {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      let data = '';
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString('utf8');
        if (http && data.endsWith('\r\n\r\n')) {
          records.push(data);
          socket.end('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\nwhatsup: succeed\n');
        }
      });
      socket.on('end', () => {
        if (!http) records.push(data);
        socket.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  beforeAll(() => {
    records = [];
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  });

  /** The operations, one at a time, each waited for (sersync saw them one by one too). */
  async function operate(dir: string, expect1: (step: number) => string[]): Promise<void> {
    const steps: (() => Promise<void>)[] = [
      () => fs.writeFile(path.join(dir, 'a.txt'), 'a'),
      () => fs.mkdir(path.join(dir, 'sub')),
      () => fs.writeFile(path.join(dir, 'sub/new pic.png'), 'png'),
      () => fs.rename(path.join(dir, 'a.txt'), path.join(dir, 'b.txt')),
      () => fs.rm(path.join(dir, 'b.txt')),
      async () => {
        await fs.writeFile(path.join(dir, '.hidden'), 'x');
        await fs.writeFile(path.join(dir, 'marker.txt'), 'after .hidden');
      },
      () => fs.rm(path.join(dir, 'sub'), { recursive: true }),
    ];
    for (const [index, step] of steps.entries()) {
      await step();
      const wanted = expect1(index);
      await eventually(() => expect(records).toEqual(expect.arrayContaining(wanted)), 20_000);
    }
  }

  it('command: "PREFIX PATH SUFFIX" for every event, deletions and both sides of a rename included', async () => {
    records = [];
    const src = await folder('parity-command');
    const recorder = path.join(work, 'parity-record.sh');
    const log = path.join(work, 'parity-command.log');
    await fs.writeFile(recorder, `printf '%s\\n' "$#:$*" >> '${log}'\n`, { mode: 0o755 });
    const file = await writeConf(
      'parity-command.xml',
      confxml({
        localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/parity-command')}</localpath>`,
        switches: '<plugin start="true" name="command"/>',
        plugins: `<plugin name="command"><param prefix="${recorder}" suffix="SUF" ignoreError="true"/><filter start="false"/></plugin>`,
      }),
    );
    const run = sersync(['-o', file]);
    await watching(run, 1);
    const poll = setInterval(() => {
      void fs
        .readFile(log, 'utf8')
        .then((text) => (records = text.trim().split('\n')))
        .catch(() => {});
    }, 50);
    cleanups.push(async () => clearInterval(poll));
    const line = (rel: string) => `2:${src}/${rel} SUF`;
    const want = [
      [line('a.txt')],
      [line('sub')],
      // sersync's system() split the name: "3:…/sub/new pic.png SUF". rsync-live passes it as one word.
      [line('sub/new pic.png')],
      [line('b.txt')],
      [line('b.txt')],
      [line('marker.txt')],
      [line('sub')],
    ];
    await operate(src, (step) => want[step] as string[]);
    // a.txt fired twice (created, then renamed away), sub twice (created, deleted).
    await eventually(() => {
      expect(records.filter((r) => r === line('a.txt')).length).toBeGreaterThanOrEqual(2);
      expect(records.filter((r) => r === line('sub')).length).toBeGreaterThanOrEqual(2);
    });
    expect(records.some((r) => r.includes('.hidden'))).toBe(false);
    await waitForConverge(src, dest(a, 'tongbu1', 'parity-command'));
  });

  it('socket: one connection per event carrying the absolute path, no newline', async () => {
    records = [];
    const port = await listener(false);
    const src = await folder('parity-socket');
    const file = await writeConf(
      'parity-socket.xml',
      confxml({
        localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/parity-socket')}</localpath>`,
        switches: '<plugin start="true" name="socket"/>',
        plugins: `<plugin name="socket"><localpath watch="${src}"><deshost ip="127.0.0.1" port="${port}"/></localpath></plugin>`,
      }),
    );
    const run = sersync(['-o', file]);
    await watching(run, 1);
    const at = (rel: string) => `${src}/${rel}`;
    const want = [
      ['a.txt'],
      ['sub'],
      ['sub/new pic.png'],
      ['a.txt', 'b.txt'],
      ['b.txt'],
      ['marker.txt'],
      ['sub'],
    ];
    await operate(src, (step) => (want[step] as string[]).map(at));
    expect(new Set(records)).toEqual(
      new Set(['a.txt', 'sub', 'sub/new pic.png', 'b.txt', 'marker.txt'].map(at)),
    );
    await waitForConverge(src, dest(a, 'tongbu1', 'parity-socket'));
  });

  it('refreshCDN: HEAD over HTTP/1.0 per event, base + group 1 + the rest, dirs with "/"; its folder is the one synced', async () => {
    records = [];
    const port = await listener(true);
    const stockFolder = await folder('parity-cdn-unused');
    const site = await folder('parity-cdn/site');
    const dir = path.join(site, 'jx3.xoyo.com/images');
    await fs.mkdir(dir, { recursive: true });
    const file = await writeConf(
      'parity-cdn.xml',
      confxml({
        localpaths: `<localpath watch="${stockFolder}">${remote(a, 'tongbu1/parity-cdn')}</localpath>`,
        switches: '<plugin start="true" name="refreshCDN"/>',
        plugins: `<plugin name="refreshCDN"><localpath watch="${site}/">
	    <cdninfo domainname="127.0.0.1" port="${port}" username="me" passwd="pw"/>
	    <sendurl base="http://pic.xoyo.com/cms"/>
	    <regexurl regex="true" match="parity-cdn/site([/a-zA-Z0-9]*).xoyo.com/images"/>
	</localpath></plugin>`,
      }),
    );
    const run = sersync(['-o', file]);
    await watching(run, 1);
    expect(run.err.join('\n')).toContain(
      `with the refreshCDN plugin on, sersync watched and synced the plugin's folder ${site} (<plugin name="refreshCDN"><localpath watch>) instead of ${stockFolder}`,
    );
    const head = (kind: 'urls' | 'dirs', url: string) =>
      `HEAD /index.jsp?user=me&pswd=pw&ok=ok&${kind}=http://pic.xoyo.com/cms/jx3${url} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`;
    const want = [
      [head('urls', '/a.txt')],
      [head('dirs', '/sub/')],
      [head('urls', '/sub/new%20pic.png')],
      [head('urls', '/a.txt'), head('urls', '/b.txt')],
      [head('urls', '/b.txt')],
      [head('urls', '/marker.txt')],
      [head('dirs', '/sub/')],
    ];
    await operate(dir, (step) => want[step] as string[]);
    expect(records.some((r) => r.includes('.hidden'))).toBe(false);
    // sersync synced the plugin's folder: so does rsync-live.
    await waitForConverge(site, dest(a, 'tongbu1', 'parity-cdn'));
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

  it('errors carry the line; -m and unknown flags are checked', async () => {
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
  });

  it('--confirm-deletions: accepted by sersync and passed on by run --config confxml.xml', async () => {
    const src = await folder('confirm');
    const target = dest(a, 'tongbu1', 'confirm');
    await fs.mkdir(target, { recursive: true });
    for (let n = 0; n < 5; n++) await fs.writeFile(path.join(target, `old-${n}.txt`), 'on the target only');
    const file = await writeConf(
      'confirm.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/confirm')}</localpath>` }),
    );
    // A new pair into a target that holds other data: nothing is deleted, the user is asked (exit 3)…
    const held = io();
    expect(await main(['run', '--config', file, '--once'], held.io)).toBe(3);
    expect(held.err.join('\n')).toMatch(/already holds 5 entries that are not in .*nothing was deleted/);
    expect((await fs.readdir(target)).sort()).toHaveLength(5);
    // …until confirmed on the command line, for run --config and for sersync alike.
    const confirmed = io();
    expect(await main(['run', '--config', file, '--once', '--confirm-deletions'], confirmed.io)).toBe(0);
    await eventually(async () => expect(await fs.readdir(target)).toEqual([]));
    const passed: { confirmDeletions?: boolean }[] = [];
    const capture = io();
    expect(
      await sersyncCommand(['--confirm-deletions', '-o', file], capture.io, async (_configs, options) => {
        passed.push(options);
        return 0;
      }),
    ).toBe(0);
    expect(passed).toEqual([expect.objectContaining({ confirmDeletions: true })]);
  });

  it('-d: returns once the detached child runs; the child syncs, keeps its pid file, removes it when stopped', async () => {
    const src = await folder('detach');
    const file = await writeConf(
      'detach.xml',
      confxml({ localpaths: `<localpath watch="${src}">${remote(a, 'tongbu1/detach')}</localpath>` }),
    );
    const pidFile = path.join(work, 'detach.pid');
    const logFile = path.join(work, 'detach.log');
    const bin = path.resolve('bin/rsync-live.js');
    const parent = await execa(
      process.execPath,
      [bin, 'sersync', '-d', '-r', '-o', file, '--pid-file', pidFile, '--log-file', logFile],
      { reject: false, timeout: 120_000, env: { XDG_STATE_HOME: path.join(work, 'state') } },
    );
    expect(parent.exitCode, parent.stderr).toBe(0);
    expect(parent.stdout).toMatch(/rsync-live sersync: running in the background as pid (\d+) \(pid file /);
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    cleanups.push(async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    });
    expect(() => process.kill(pid, 0)).not.toThrow();
    await fs.writeFile(path.join(src, 'while-detached.txt'), 'synced by the child');
    await waitForConverge(src, dest(a, 'tongbu1', 'detach'));
    // A second -d with the same pid file refuses to start a twin.
    const twin = await execa(
      process.execPath,
      [bin, 'sersync', '-d', '-o', file, '--pid-file', pidFile, '--log-file', logFile],
      {
        reject: false,
        timeout: 60_000,
      },
    );
    expect(twin.exitCode).toBe(1);
    expect(twin.stderr).toContain(
      `already running as pid ${pid} (pid file ${pidFile}): stop it first (kill ${pid})`,
    );
    process.kill(pid, 'SIGTERM');
    await eventually(
      async () =>
        expect(
          await fs.access(pidFile).then(
            () => true,
            () => false,
          ),
        ).toBe(false),
      20_000,
    );
    expect(await fs.readFile(logFile, 'utf8')).toMatch(/received SIGTERM: stopping/);
  });
});
