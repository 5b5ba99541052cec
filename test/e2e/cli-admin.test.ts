// The command line as an admin meets it (issue 14), through the built `bin/rsync-live.js` and real rsync
// daemons: --version and per-command help, one exit status per class with messages that name the flags,
// targets and folders refused before anything starts, passwords never echoed, one engine per folder+target
// (a lock naming its holder), rsync children that die with a kill -9, and serve's lock, bind-before-start,
// --allow-remote and token handling.
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/rsync-live.js');

describe('rsync-live CLI for admins', () => {
  let daemon: RsyncDaemon;
  let src: string;
  let home: string;
  let env: Record<string, string>;
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    execa('node', [BIN, ...args], { reject: false, env: { ...env, ...extra }, all: true });
  const start = (args: string[]): { child: ResultPromise; output: () => string } => {
    const child = execa('node', [BIN, ...args], { reject: false, env, all: true });
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output };
  };

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    src = await tempDir();
    home = await tempDir();
    env = {
      HOME: home,
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CONFIG_HOME: path.join(home, 'config'),
    };
    await fs.writeFile(path.join(src, 'a.txt'), 'hello');
  });

  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(src, { recursive: true, force: true });
    await fs.rm(home, { recursive: true, force: true });
  });

  it('--version and -V print the version; every command has its own --help', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await cli([flag]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`rsync-live ${pkg.version}`);
    }
    const firstLines = new Set<string>();
    for (const command of ['watch', 'run', 'serve', 'sersync']) {
      const result = await cli([command, '--help']);
      expect(result.exitCode, command).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: rsync-live ${command} `));
      firstLines.add(result.stdout.split('\n')[0] as string);
    }
    expect(firstLines.size).toBe(4);
    const global = await cli(['--help']);
    expect(global.stdout).toMatch(
      /Exit status: 0 ok; 1 .*; 2 a usage error; 3 with --once,\s+deletions wait .*; 75 /s,
    );
  });

  it('usage errors exit 2 with messages in flag names, the same for "--delay -5" and "--delay=-5"', async () => {
    const target = daemon.url(daemon.moduleName, 'usage');
    const cases: [string[], RegExp][] = [
      [['--max-delay=0'], /^rsync-live: --max-delay: must be at least 1 ms$/m],
      [['--delay', '-5'], /^rsync-live: --delay takes a whole number of ms, got "-5"$/m],
      [['--delay=-5'], /^rsync-live: --delay takes a whole number of ms, got "-5"$/m],
      [['--exclude', '('], /exclude regex "\(" is not a valid regular expression/],
      [['--concurrency', '40'], /--concurrency: Too big|--concurrency: .*16/],
    ];
    for (const [flags, message] of cases) {
      const result = await cli(['watch', src, target, '--once', ...flags]);
      expect(result.exitCode, flags.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/maxDelayMs|delayMs|extraArgs|targets\[/);
      expect(result.stderr).toMatch(/rsync-live watch --help lists every option/);
    }
    const spaced = await cli(['watch', src, target, '--delay', '-5']);
    const joined = await cli(['watch', src, target, '--delay=-5']);
    expect(spaced.stderr).toBe(joined.stderr);
  });

  it('refuses malformed targets, ".." sub-paths, bad folders and dangerous rsync options before anything runs', async () => {
    const target = daemon.url(daemon.moduleName, 'refused');
    await fs.writeFile(path.join(home, 'plain-file'), 'x');
    const cases: [string[], RegExp][] = [
      [[src, `127.0.0.1:::${daemon.moduleName}`], /target 127\.0\.0\.1:::\S+ is malformed: .*host::module/],
      [[src, `${daemon.url(daemon.moduleName)}/a/../../etc`], /has a "\.\." part/],
      [['/', target], /folder \/ is the whole system/],
      [['/proc/self', target], /inside \/proc, a tree of the running system/],
      [[path.join(home, 'nope'), target], /does not exist: create it first/],
      [[path.join(home, 'plain-file'), target], /is a file, not a directory/],
      [
        [src, target, '--rsync-option=--remove-source-files'],
        /--rsync-option: --remove-source-files is refused: it deletes your files/,
      ],
      [
        [src, target, '--rsync-option=--delete-after'],
        /--delete-after is refused: rsync-live decides deletions/,
      ],
      [[src, target, '--rsync-option=--inplace', '--versions'], /--inplace is refused: with "versions"/],
      [[src, target, '--rsync-option=--frobnicate'], /--frobnicate is refused: it is not on the list/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(['watch', ...args, '--once'], { RSYNC_PASSWORD: daemon.password });
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/unreachable|retrying/);
    }
    await expect(fs.readdir(path.join(daemon.modulePath, 'refused'))).rejects.toThrow(/ENOENT/);
    expect(await fs.readFile(path.join(src, 'a.txt'), 'utf8')).toBe('hello');
    // An allowed option passes.
    const ok = await cli(['watch', src, target, '--rsync-option=--numeric-ids', '--once'], {
      RSYNC_PASSWORD: daemon.password,
    });
    expect(ok.exitCode, ok.all).toBe(0);
  });

  it('a folder name with non-UTF-8 bytes is refused saying exactly why and what to do', async () => {
    const parent = await tempDir();
    const raw = Buffer.concat([Buffer.from(`${parent}/caf`), Buffer.from([0xe9])]);
    await fs.mkdir(raw);
    // Node cannot put these bytes into argv itself: python3 execs the CLI with them.
    const launcher = `import os,sys; os.execvp("node", [b"node", sys.argv[1].encode(), b"watch", bytes.fromhex(sys.argv[2]), b"/tmp/x", b"--once"])`;
    const result = await execa('python3', ['-c', launcher, BIN, raw.toString('hex')], {
      reject: false,
      env,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(2);
    expect(result.stderr).toMatch(
      /has bytes that are not valid UTF-8 .* make a symlink with a UTF-8 name to it/,
    );
    await fs.rm(parent, { recursive: true, force: true });
  });

  it('refuses a password in the URL without ever echoing it', async () => {
    const url = `rsync://${daemon.user}:${daemon.password}@127.0.0.1:${daemon.port}/${daemon.moduleName}/pw`;
    const result = await cli(['watch', src, url, '--once']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/the URL holds a password .*: passwords never go into a URL/);
    expect(result.all).not.toContain(daemon.password);
  });

  it('--once on an empty folder exits 0 after an ok sync', async () => {
    const empty = await tempDir();
    const result = await cli(['watch', empty, daemon.url(daemon.moduleName, 'empty'), '--once'], {
      RSYNC_PASSWORD: daemon.password,
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/full sync: 0 files sent .* ok/);
    await fs.rm(empty, { recursive: true, force: true });
  });

  it('one engine per folder and target: a second watch exits 75 naming the first; after it stops, it runs', async () => {
    const url = daemon.url(daemon.moduleName, 'locked');
    const first = start(['watch', src, url, '--password-file', daemon.passwordFile]);
    await eventually(() => expect(first.output()).toMatch(/full sync: .* ok/), 30_000);
    const second = await cli(['watch', src, url, '--password-file', daemon.passwordFile, '--once']);
    expect(second.exitCode, second.all).toBe(75);
    expect(second.stderr).toMatch(
      new RegExp(
        `${src} → ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is already in use by another rsync-live: pid ${first.child.pid} \\(rsync-live watch .*\\) since \\d{4}-`,
      ),
    );
    // The same folder to another target is another engine's business: allowed.
    const other = await cli(['watch', src, daemon.url(daemon.moduleName, 'other'), '--once'], {
      RSYNC_PASSWORD: daemon.password,
    });
    expect(other.exitCode, other.all).toBe(0);
    first.child.kill('SIGTERM');
    expect((await first.child).exitCode).toBe(0);
    const third = await cli(['watch', src, url, '--password-file', daemon.passwordFile, '--once']);
    expect(third.exitCode, third.all).toBe(0);
  }, 60_000);

  it('kill -9 of the CLI kills its rsync children too, and the restart takes over the stale lock', async () => {
    const folder = await tempDir();
    const url = daemon.url(daemon.moduleName, 'orphans');
    for (let i = 0; i < 40; i++) await fs.writeFile(path.join(folder, `f${i}`), Buffer.alloc(64 * 1024, i));
    // 1 KiB/s: the start-up sync takes minutes, so rsync is surely running when the CLI is killed.
    const first = start(['watch', folder, url, '--password-file', daemon.passwordFile, '--bwlimit', '1']);
    let children: number[] = [];
    await eventually(async () => {
      children = (await execa('pgrep', ['-P', String(first.child.pid)], { reject: false })).stdout
        .split('\n')
        .filter(Boolean)
        .map(Number);
      const names = await Promise.all(
        children.map((pid) => fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')),
      );
      expect(names.map((name) => name.trim())).toContain('rsync');
    }, 30_000);
    first.child.kill('SIGKILL');
    await first.child;
    await eventually(async () => {
      for (const pid of children) await expect(fs.access(`/proc/${pid}`)).rejects.toThrow(/ENOENT/);
    }, 15_000);
    const second = await cli(['watch', folder, url, '--password-file', daemon.passwordFile, '--once']);
    expect(second.exitCode, second.all).toBe(0);
    await waitForConverge(folder, path.join(daemon.modulePath, 'orphans'));
    await fs.rm(folder, { recursive: true, force: true });
  }, 90_000);

  describe('serve', () => {
    async function serveConfig(): Promise<{ dir: string; config: string; dest: string }> {
      const dir = await tempDir();
      const dest = path.join(dir, 'dest');
      const config = path.join(dir, 'config.json');
      await fs.writeFile(
        config,
        JSON.stringify({ version: 1, pairs: [{ id: 'p', folder: src, targets: [{ url: dest }] }] }),
      );
      return { dir, config, dest };
    }

    it('needs --allow-remote to listen beyond loopback, and then prints addresses that work', async () => {
      const { dir, config } = await serveConfig();
      const refused = await cli(['serve', '--config', config, '--listen', '0.0.0.0:0', '--no-open']);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(/0\.0\.0\.0 is reachable from the network.*Add --allow-remote/);

      const running = start([
        'serve',
        '--config',
        config,
        '--listen',
        '0.0.0.0:0',
        '--allow-remote',
        '--no-open',
      ]);
      await eventually(() => expect(running.output()).toMatch(/mode 600\)/), 30_000);
      // Not a terminal (like a journal): the token is not printed, it is in serve-url (0600).
      const urlFile = path.join(dir, 'serve-url');
      expect((await fs.stat(urlFile)).mode & 0o777).toBe(0o600);
      const token = /#token=([0-9a-f]{64})/.exec(await fs.readFile(urlFile, 'utf8'))?.[1] as string;
      expect(running.output()).not.toContain(token);
      const printed = running.output().match(/http:\/\/[^\s]+\//g) ?? [];
      expect(printed[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      for (const url of printed) {
        const reply = await fetch(`${url}api/state`, { headers: { Authorization: `Bearer ${token}` } });
        expect(reply.status, url).toBe(200);
      }
      running.child.kill('SIGTERM');
      expect((await running.child).exitCode).toBe(0);
      await fs.rm(dir, { recursive: true, force: true });
    }, 60_000);

    it('a second serve on the same config exits 75; a port in use fails before the engine starts', async () => {
      const { dir, config, dest } = await serveConfig();
      const first = start(['serve', '--config', config, '--listen', '127.0.0.1:0', '--no-open']);
      await eventually(() => expect(first.output()).toMatch(/http:\/\/127\.0\.0\.1:\d+\//), 30_000);
      await waitForConverge(src, dest);
      const second = await cli(['serve', '--config', config, '--listen', '127.0.0.1:0', '--no-open']);
      expect(second.exitCode).toBe(75);
      expect(second.stderr).toMatch(
        new RegExp(
          `the serve config ${config} is already in use by another rsync-live: pid ${first.child.pid}`,
        ),
      );
      first.child.kill('SIGTERM');
      expect((await first.child).exitCode).toBe(0);

      // A port in use: nothing is synced (the engine never started).
      await fs.rm(dest, { recursive: true, force: true });
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as net.AddressInfo).port;
      const busy = await cli(['serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--no-open']);
      expect(busy.exitCode).toBe(1);
      expect(busy.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} is in use .*--listen`));
      expect(busy.stdout).toBe('');
      await expect(fs.access(dest)).rejects.toThrow(/ENOENT/);
      await new Promise((resolve) => blocker.close(resolve));
      await fs.rm(dir, { recursive: true, force: true });
    }, 60_000);
  });
});
