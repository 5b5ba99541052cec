// Plugins: argv splitting without a shell, URL templates, refreshCDN requests as sersync 2.5.4 sends them
// (CdnRefreshInterface.cpp), scoping of changes (sersync's command filter on the absolute path), the bounded
// queue with retry/pause/overflow, the PluginHost (after-sync wait, failures isolated) and the command,
// socket and cdn runners against real processes and sockets on 127.0.0.1.
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CdnRunner, cdnEncode, cdnRequest, cdnUrl } from '../../electron/engine/plugins/cdn.js';
import { CommandRunner } from '../../electron/engine/plugins/command.js';
import {
  cdnPluginSchema,
  commandPluginSchema,
  httpPluginSchema,
  pluginSchema,
  socketPluginSchema,
  type PluginConfig,
} from '../../electron/engine/plugins/config.js';
import {
  compileIncludes,
  included,
  includes,
  PluginHost,
  scopeChange,
  sersyncSkipsName,
} from '../../electron/engine/plugins/host.js';
import { HttpRunner, safeUrl } from '../../electron/engine/plugins/http.js';
import { WorkQueue, type Outcome } from '../../electron/engine/plugins/queue.js';
import type { PluginItem, PluginRunner } from '../../electron/engine/plugins/runner.js';
import { SocketRunner, socketLine } from '../../electron/engine/plugins/socket.js';
import { expandTemplate, matchValues, templateFields } from '../../electron/engine/plugins/template.js';
import { hasShellSyntax, splitWords } from '../../electron/engine/plugins/words.js';
import type { EngineEvents } from '../../electron/shared/state.js';
import { eventually } from '../helpers/engine-harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const item = (over: Partial<PluginItem> = {}): PluginItem => ({
  pairId: 'p',
  folder: '/src',
  path: 'a/b.txt',
  abspath: '/src/a/b.txt',
  change: 'upsert',
  dir: false,
  ...over,
});

describe('splitWords', () => {
  it('splits like a shell tokenizer, without expanding anything', () => {
    expect(splitWords(`/bin/sh -c 'echo "$1" > out' "two words" a\\ b ""`)).toEqual([
      '/bin/sh',
      '-c',
      'echo "$1" > out',
      'two words',
      'a b',
      '',
    ]);
    expect(splitWords('  ')).toEqual([]);
    expect(splitWords(`"a\\"b\\$c"`)).toEqual(['a"b$c']);
    expect(() => splitWords(`'open`)).toThrow(/unmatched '/);
    expect(() => splitWords(`"open`)).toThrow(/unmatched "/);
  });

  it('spots shell syntax that will not be interpreted', () => {
    expect(hasShellSyntax('/bin/run >/dev/null')).toBe(true);
    expect(hasShellSyntax('/bin/run $HOME')).toBe(true);
    expect(hasShellSyntax('/bin/run "$HOME"')).toBe(true);
    expect(hasShellSyntax(`/bin/sh -c 'a | b'`)).toBe(false);
    expect(hasShellSyntax('/usr/bin/on-change --label "a|b"')).toBe(false);
  });
});

describe('templates', () => {
  it('checks placeholders and braces', () => {
    expect(templateFields('http://h/{path}?c={change}&x={{lit}}')).toEqual(['path', 'change']);
    expect(() => templateFields('http://h/{file}')).toThrow(/unknown placeholder \{file\}/);
    expect(() => templateFields('http://h/{path')).toThrow(/unbalanced brace/);
  });

  it('percent-encodes in URLs (keeping "/" in paths), raw in bodies', () => {
    const values = { path: 'a b/ü?#.txt', item: 'http://x/a b', change: 'upsert' };
    expect(expandTemplate('http://h/{path}?u={item}&c={change}&{{x}}', values, 'url')).toBe(
      'http://h/a%20b/%C3%BC%3F%23.txt?u=http%3A%2F%2Fx%2Fa%20b&c=upsert&{x}',
    );
    expect(expandTemplate('{path}\n', values, 'raw')).toBe('a b/ü?#.txt\n');
  });

  it('{from1}: the absolute path from the start of the first group', () => {
    const values = matchValues(
      new RegExp('cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images', 'du'),
      '/data0/htdocs/cms.xoyo.com/site/jx3.xoyo.com/images/index.html',
    );
    expect(values).toMatchObject({ '1': '/jx3', from1: 'jx3.xoyo.com/images/index.html' });
    expect(matchValues(/nothing/d, '/a')).toBeNull();
  });
});

describe('HttpRunner requests (the generic http plugin: GET with encoded templates)', () => {
  const cdn = (regex: boolean) =>
    httpPluginSchema.parse({
      kind: 'http',
      id: 'refreshCDN',
      folder: '/data0/htdocs/cms.xoyo.com/site',
      url: 'http://ccms.chinacache.com:80/index.jsp?user=me&pswd=secret&ok=ok&urls={item}',
      dirUrl: 'http://ccms.chinacache.com:80/index.jsp?user=me&pswd=secret&ok=ok&dirs={item}',
      item: regex ? 'http://{from1}' : 'http://pic.xoyo.com/cms/{path}',
      ...(regex ? { match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images' } : {}),
    });
  const file = item({
    folder: '/data0/htdocs/cms.xoyo.com/site',
    path: 'jx3.xoyo.com/images/index.html',
    abspath: '/data0/htdocs/cms.xoyo.com/site/jx3.xoyo.com/images/index.html',
  });

  it('a CDN-like URL template: urls= for files, dirs= for directories, the published URL encoded', () => {
    const runner = new HttpRunner(cdn(false));
    expect(runner.request(file)).toEqual({
      method: 'GET',
      url: 'http://ccms.chinacache.com:80/index.jsp?user=me&pswd=secret&ok=ok&urls=http%3A%2F%2Fpic.xoyo.com%2Fcms%2Fjx3.xoyo.com%2Fimages%2Findex.html',
      body: null,
    });
    expect(runner.request({ ...file, dir: true })?.url).toContain('&dirs=http%3A%2F%2Fpic.xoyo.com');
  });

  it('with match: {from1}, and no request for paths it misses', () => {
    const runner = new HttpRunner(cdn(true));
    expect(runner.request(file)?.url).toMatch(/&urls=http%3A%2F%2Fjx3\.xoyo\.com%2Fimages%2Findex\.html$/);
    expect(runner.request(item({ abspath: '/data0/other/x.html' }))).toBeNull();
  });

  it('never logs credentials', () => {
    expect(safeUrl('http://u:pw@h:8080/index.jsp?user=me&pswd=secret')).toBe('http://h:8080/index.jsp');
  });
});

describe('CdnRunner: refreshCDN as sersync 2.5.4 sends it (CdnRefreshInterface.cpp PackagePath)', () => {
  const config = (over: Record<string, unknown> = {}) =>
    cdnPluginSchema.parse({
      kind: 'cdn',
      id: 'refreshCDN',
      folder: '/data0/htdocs/cms.xoyo.com/site',
      host: 'ccms.chinacache.com',
      port: 80,
      username: 'me',
      passwd: 'secret',
      base: 'http://pic.xoyo.com/cms',
      ...over,
    });
  const at = (rel: string, dir = false) =>
    item({
      folder: '/data0/htdocs/cms.xoyo.com/site',
      path: rel,
      abspath: `/data0/htdocs/cms.xoyo.com/site/${rel}`,
      dir,
    });
  const match = 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images';

  it('regex="false": base + the path after the folder; a folder gets dirs= and a trailing "/"', () => {
    expect(cdnUrl(config(), at('jx3.xoyo.com/images/a.png'))).toBe(
      'http://pic.xoyo.com/cms/jx3.xoyo.com/images/a.png',
    );
    expect(cdnRequest(config(), at('jx3.xoyo.com/images/a.png'))).toBe(
      'HEAD /index.jsp?user=me&pswd=secret&ok=ok&urls=http://pic.xoyo.com/cms/jx3.xoyo.com/images/a.png HTTP/1.0\r\nHost: ccms.chinacache.com\r\n\r\n',
    );
    expect(cdnRequest(config(), at('jx3.xoyo.com/images/new', true))).toBe(
      'HEAD /index.jsp?user=me&pswd=secret&ok=ok&dirs=http://pic.xoyo.com/cms/jx3.xoyo.com/images/new/ HTTP/1.0\r\nHost: ccms.chinacache.com\r\n\r\n',
    );
  });

  it('regex="true": base + group 1 + what follows the match; paths it misses send nothing', () => {
    const c = config({ match });
    expect(cdnUrl(c, at('jx3.xoyo.com/images/a.png'))).toBe('http://pic.xoyo.com/cms/jx3/a.png');
    expect(cdnUrl(c, at('jx3.xoyo.com/images/sub/b.gif'))).toBe('http://pic.xoyo.com/cms/jx3/sub/b.gif');
    expect(cdnUrl(c, at('jx3.xoyo.com/images/sub', true))).toBe('http://pic.xoyo.com/cms/jx3/sub/');
    expect(cdnRequest(c, at('other/a.png'))).toBeNull();
  });

  it('sends bytes raw like sersync, encoding once only what would break the request line or the query', () => {
    expect(cdnEncode('new pic.png')).toBe('new%20pic.png');
    expect(cdnEncode('a%b#c&d+e\tf')).toBe('a%25b%23c%26d%2Be%09f');
    expect(cdnEncode('ü/[x];y=z:@!')).toBe('ü/[x];y=z:@!');
    expect(cdnRequest(config({ match }), at('jx3.xoyo.com/images/new pic.png'))).toContain(
      '&urls=http://pic.xoyo.com/cms/jx3/new%20pic.png HTTP/1.0\r\n',
    );
  });

  it('one connection per path to host:port, the exact request, the answer checked', async () => {
    const received: string[] = [];
    let status = '200 OK';
    const server = net.createServer((socket) => {
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('utf8');
        if (data.endsWith('\r\n\r\n')) {
          received.push(data);
          socket.end(`HTTP/1.0 ${status}\r\nContent-Length: 0\r\n\r\n`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as net.AddressInfo).port;
    const runner = new CdnRunner(config({ host: '127.0.0.1', port, match }));
    const signal = new AbortController().signal;
    expect(await runner.run(at('jx3.xoyo.com/images/a.png'), signal)).toEqual({ ok: true });
    expect(received).toEqual([
      'HEAD /index.jsp?user=me&pswd=secret&ok=ok&urls=http://pic.xoyo.com/cms/jx3/a.png HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n',
    ]);
    status = '403 Forbidden';
    const refused = await runner.run(at('jx3.xoyo.com/images/b.png'), signal);
    expect(refused).toMatchObject({ ok: false, retry: false });
    expect(JSON.stringify(refused)).not.toContain('secret');
    await new Promise<void>((r) => server.close(() => r()));
    expect(await runner.run(at('jx3.xoyo.com/images/c.png'), signal)).toMatchObject({
      ok: false,
      retry: true,
      message: expect.stringMatching(/failed \(ECONNREFUSED\): is the CDN interface/),
    });
  });
});

describe('scoping changes', () => {
  const base = (over: Record<string, unknown> = {}): PluginConfig =>
    pluginSchema.parse({ kind: 'socket', id: 's', host: '127.0.0.1', port: 1, ...over });

  it('folder, pairs, change kinds and directories', () => {
    const change = { path: 'www/a.php', change: 'upsert' as const, dir: false };
    expect(scopeChange(base(), 'p', '/srv', change)).toEqual({
      pairId: 'p',
      folder: '/srv',
      path: 'www/a.php',
      abspath: '/srv/www/a.php',
      change: 'upsert',
      dir: false,
    });
    expect(scopeChange(base({ folder: '/srv/www/' }), 'p', '/srv', change)).toMatchObject({
      folder: '/srv/www',
      path: 'a.php',
    });
    expect(scopeChange(base({ folder: '/srv/other' }), 'p', '/srv', change)).toBeNull();
    expect(
      scopeChange(base({ folder: '/srv/www' }), 'p', '/srv', { ...change, path: 'www', dir: true }),
    ).toBeNull();
    expect(scopeChange(base({ pairs: ['q'] }), 'p', '/srv', change)).toBeNull();
    expect(scopeChange(base({ changes: ['delete'] }), 'p', '/srv', change)).toBeNull();
    expect(scopeChange(base({ directories: false }), 'p', '/srv', { ...change, dir: true })).toBeNull();
    // A replaced directory ("tree" in the engine) is there now: an upsert for plugins.
    expect(scopeChange(base(), 'p', '/srv', { path: 'www', change: 'tree', dir: true })).toMatchObject({
      change: 'upsert',
      dir: true,
    });
  });

  it('include regexes match the whole relative path or an ancestor', () => {
    const include = compileIncludes(['(.*)\\.php', 'static']);
    expect(included(include, 'a/b/index.php')).toBe(true);
    expect(included(include, 'static/css/x.css')).toBe(true);
    expect(included(include, 'index.php5')).toBe(false);
    expect(included(include, 'a/static')).toBe(false);
    expect(included([], 'anything')).toBe(true);
  });

  it("includeOn absolute: sersync's command filter, a full match on the absolute path only", () => {
    const config = pluginSchema.parse({
      kind: 'command',
      id: 'c',
      command: ['/bin/true'],
      include: ['/srv/www/(.*)\\.php'],
      includeOn: 'absolute',
    });
    const include = compileIncludes(config.include);
    expect(includes(config, include, item({ path: 'a.php', abspath: '/srv/www/a.php' }))).toBe(true);
    expect(includes(config, include, item({ path: 'x/a.php', abspath: '/srv/www/x/a.php' }))).toBe(true);
    expect(includes(config, include, item({ path: 'a.php5', abspath: '/srv/www/a.php5' }))).toBe(false);
    // The relative rule would never see "/srv/www/…": absolute includes matched nothing before.
    expect(included(include, 'a.php')).toBe(false);
  });

  it('skipDotFiles: the names sersync never fired plugins for (Inotify.cpp FilterEvent)', () => {
    for (const name of ['.hidden', 'a/.x.swp', 'b~', '4913'])
      expect(sersyncSkipsName({ path: name, dir: false }), name).toBe(true);
    for (const name of ['a.txt', 'x/4913a', '.git'])
      expect(sersyncSkipsName({ path: name, dir: name === '.git' }), name).toBe(false);
    const config = pluginSchema.parse({ kind: 'socket', id: 's', host: 'h', port: 1, skipDotFiles: true });
    expect(includes(config, [], item({ path: 'a/.hidden' }))).toBe(false);
    expect(includes({ ...config, skipDotFiles: false }, [], item({ path: 'a/.hidden' }))).toBe(true);
  });
});

describe('WorkQueue', () => {
  const quiet = { onDrop: () => {}, onOverflow: () => {} };

  it('runs at most `concurrency` at once and lets the newest item for a key replace a waiting one', async () => {
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    const queue = new WorkQueue<{ k: string; v: number }>({
      ...quiet,
      concurrency: 2,
      limit: 100,
      retries: 0,
      key: (i) => i.k,
      run: async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 10));
        ran.push(`${i.k}${i.v}`);
        running--;
        return { ok: true };
      },
    });
    for (const k of ['a', 'b', 'c', 'd']) queue.push({ k, v: 1 });
    queue.push({ k: 'd', v: 2 });
    await queue.whenDrained();
    expect(peak).toBe(2);
    expect(ran.sort()).toEqual(['a1', 'b1', 'c1', 'd2']);
  });

  it('counts what overflows the limit', async () => {
    const overflow: number[] = [];
    const queue = new WorkQueue<number>({
      onDrop: () => {},
      onOverflow: (n) => overflow.push(n),
      concurrency: 1,
      limit: 2,
      retries: 0,
      key: String,
      run: () => new Promise<Outcome>((r) => setTimeout(() => r({ ok: true }), 20)),
    });
    for (let i = 0; i < 6; i++) queue.push(i);
    await queue.whenDrained();
    expect(overflow).toEqual([3]);
  });

  it('pauses on a retryable failure, keeps order, and drops after the retries', async () => {
    const attempts: string[] = [];
    const dropped: string[] = [];
    let down = 2;
    const queue = new WorkQueue<string>({
      onDrop: (i, message, n) => dropped.push(`${i}:${message}:${n}`),
      onOverflow: () => {},
      concurrency: 1,
      limit: 10,
      retries: 3,
      backoff: { baseMs: 10, capMs: 20 },
      key: (i) => i,
      run: async (i) => {
        attempts.push(i);
        if (i === 'bad') return { ok: false, retry: false, message: 'nope' };
        if (i === 'x' && down-- > 0) return { ok: false, retry: true, message: 'down' };
        return { ok: true };
      },
    });
    queue.push('x');
    queue.push('y');
    queue.push('bad');
    await queue.whenDrained();
    expect(attempts).toEqual(['x', 'x', 'x', 'y', 'bad']);
    expect(dropped).toEqual(['bad:nope:1']);
  });
});

class FakeSource extends EventEmitter<Pick<EngineEvents, 'changes'>> {}

describe('PluginHost', () => {
  const socketConfig = (id: string, over: Record<string, unknown> = {}) =>
    socketPluginSchema.parse({ kind: 'socket', id, host: '127.0.0.1', port: 1, ...over });

  it('feeds each enabled plugin its paths, after the sync when asked, and isolates failures', async () => {
    const source = new FakeSource();
    const seen: Record<string, string[]> = { good: [], bad: [], off: [] };
    const logs: string[] = [];
    let releaseSync!: () => void;
    const synced = new Promise<void>((r) => (releaseSync = r));
    const host = new PluginHost(
      source,
      [socketConfig('good'), socketConfig('bad'), socketConfig('off', { enabled: false })],
      {
        log: (level, message) => logs.push(`${level} ${message}`),
        afterSync: () => synced,
        createRunner: (config): PluginRunner => ({
          run: async (i) => {
            seen[config.id]?.push(`${i.change}:${i.path}`);
            return config.id === 'bad' ? { ok: false, retry: false, message: 'exploded' } : { ok: true };
          },
          close: async () => {},
        }),
      },
    );
    host.start();
    source.emit('changes', {
      pairId: 'p',
      folder: '/src',
      changes: [
        { path: 'a.txt', change: 'upsert', dir: false },
        { path: 'old', change: 'delete', dir: true },
      ],
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(seen.good).toEqual([]);
    releaseSync();
    await host.whenIdle();
    expect(seen.good).toEqual(['upsert:a.txt', 'delete:old']);
    expect(seen.bad).toEqual(['upsert:a.txt', 'delete:old']);
    expect(seen.off).toEqual([]);
    expect(logs).toEqual(['warn plugin bad: exploded; gave up on this path. Syncing continues.']);
    await host.stop();
    expect(source.listenerCount('changes')).toBe(0);
  });
});

describe('PluginHost after-sync ordering', () => {
  it('asks whether the pair is synced only after the pair has queued the paths it announced', async () => {
    const source = new FakeSource();
    let queued = false;
    const seenAtCall: boolean[] = [];
    const host = new PluginHost(
      source,
      [socketPluginSchema.parse({ kind: 'socket', id: 's', host: '127.0.0.1', port: 1 })],
      {
        log: () => {},
        afterSync: async () => {
          seenAtCall.push(queued);
        },
        createRunner: () => ({ run: async () => ({ ok: true }), close: async () => {} }),
      },
    );
    host.start();
    // The engine emits `changes`, then queues the same paths for its targets in the same tick.
    source.emit('changes', {
      pairId: 'p',
      folder: '/src',
      changes: [{ path: 'a', change: 'upsert', dir: false }],
    });
    queued = true;
    await host.whenIdle();
    expect(seenAtCall).toEqual([true]);
    await host.stop();
  });
});

describe('CommandRunner', () => {
  it('passes the path as one argv word: no name can reach a shell', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-cmd-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'out');
    const name = `we "ird" $(touch ${path.join(dir, 'pwned')}) \`id\` 'n;.php`;
    const runner = new CommandRunner(
      commandPluginSchema.parse({
        kind: 'command',
        id: 'c',
        command: ['/bin/sh', '-c', 'printf "%s|%s|%s\\n" "$0" "$1" "$RSYNC_LIVE_CHANGE" >> "$OUT_FILE"'],
        suffix: ['--done'],
      }),
      () => {},
    );
    process.env.OUT_FILE = out;
    cleanups.push(async () => delete process.env.OUT_FILE);
    const result = await runner.run(
      item({ folder: dir, path: name, abspath: path.join(dir, name) }),
      new AbortController().signal,
    );
    expect(result).toEqual({ ok: true });
    expect(await fs.readFile(out, 'utf8')).toBe(`${path.join(dir, name)}|--done|upsert\n`);
    await expect(fs.access(path.join(dir, 'pwned'))).rejects.toThrow();
  });

  it('reports a failing command with its output, or logs it as ignored', async () => {
    const logs: string[] = [];
    const config = {
      kind: 'command',
      id: 'c',
      command: ['/bin/sh', '-c', 'echo broken >&2; exit 3'],
    } as const;
    const failing = new CommandRunner(commandPluginSchema.parse(config), () => {});
    expect(await failing.run(item({ folder: os.tmpdir() }), new AbortController().signal)).toEqual({
      ok: false,
      retry: false,
      message: '/bin/sh for "a/b.txt" exited with 3: broken',
    });
    const ignoring = new CommandRunner(commandPluginSchema.parse({ ...config, ignoreError: true }), (_, m) =>
      logs.push(m),
    );
    expect(await ignoring.run(item({ folder: os.tmpdir() }), new AbortController().signal)).toEqual({
      ok: true,
    });
    expect(logs).toEqual(['/bin/sh for "a/b.txt" exited with 3: broken (ignored: ignoreError is on)']);
    const missing = new CommandRunner(
      commandPluginSchema.parse({ kind: 'command', id: 'c', command: ['/nonexistent/prog'] }),
      () => {},
    );
    expect(await missing.run(item({ folder: os.tmpdir() }), new AbortController().signal)).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^cannot run \/nonexistent\/prog for "a\/b\.txt" \(ENOENT\): check the program/,
      ),
    });
  });
});

describe('SocketRunner', () => {
  it('one line per path over one connection, reconnecting after the listener restarts', async () => {
    const lines: string[] = [];
    const connections: net.Socket[] = [];
    const listen = (port = 0) =>
      new Promise<net.Server>((resolve) => {
        const server = net.createServer((socket) => {
          connections.push(socket);
          let buffer = '';
          socket.on('data', (chunk) => {
            buffer += chunk.toString('utf8');
            let at;
            while ((at = buffer.indexOf('\n')) >= 0) {
              lines.push(buffer.slice(0, at));
              buffer = buffer.slice(at + 1);
            }
          });
        });
        server.listen(port, '127.0.0.1', () => resolve(server));
      });
    let server = await listen();
    const port = (server.address() as net.AddressInfo).port;
    const runner = new SocketRunner(
      socketPluginSchema.parse({ kind: 'socket', id: 's', host: '127.0.0.1', port }),
    );
    cleanups.push(() => runner.close());
    expect(await runner.run(item())).toEqual({ ok: true });
    expect(await runner.run(item({ abspath: '/src/ü b' }))).toEqual({ ok: true });
    await eventually(() => expect(lines).toEqual(['/src/a/b.txt', '/src/ü b']));
    expect(connections).toHaveLength(1);
    for (const c of connections) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await eventually(async () =>
      expect(await runner.run(item({ abspath: '/src/lost' }))).toMatchObject({
        ok: false,
        retry: true,
        message: expect.stringMatching(
          /^cannot send to 127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the listener running/,
        ),
      }),
    );
    server = await listen(port);
    cleanups.push(() => new Promise((r) => server.close(r)));
    await eventually(async () =>
      expect(await runner.run(item({ abspath: '/src/again' }))).toEqual({ ok: true }),
    );
    await eventually(() => expect(lines).toContain('/src/again'));
    for (const c of connections) cleanups.push(async () => c.destroy());
  });

  it('format "sersync": one connection per path, the absolute path alone (no newline), then closed', async () => {
    const received: Buffer[] = [];
    const server = net.createServer((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => {
        received.push(Buffer.concat(chunks));
        socket.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as net.AddressInfo).port;
    const runner = new SocketRunner(
      socketPluginSchema.parse({ kind: 'socket', id: 's', host: '127.0.0.1', port, format: 'sersync' }),
    );
    cleanups.push(() => runner.close());
    expect(await runner.run(item())).toEqual({ ok: true });
    expect(await runner.run(item({ abspath: '/src/new pic.png' }))).toEqual({ ok: true });
    expect(await runner.run(item({ abspath: '/src/ü\nb' }))).toEqual({ ok: true });
    await eventually(() =>
      expect(received.map((b) => b.toString('utf8'))).toEqual([
        '/src/a/b.txt',
        '/src/new pic.png',
        '/src/ü\nb',
      ]),
    );
  });

  it('frames names with a newline only in the json format', () => {
    expect(socketLine(item({ abspath: '/a\nb' }), 'path')).toBeNull();
    expect(JSON.parse(socketLine(item({ abspath: '/a\nb' }), 'json') as string)).toMatchObject({
      abspath: '/a\nb',
    });
  });
});
