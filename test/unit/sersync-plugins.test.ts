// Plugins: argv splitting without a shell, URL templates (sersync's refreshCDN rules), scoping of changes,
// the bounded queue with retry/pause/overflow, the PluginHost (after-sync wait, failures isolated) and the
// command and socket runners against real processes and sockets on 127.0.0.1.
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandRunner } from '../../electron/engine/plugins/command.js';
import {
  commandPluginSchema,
  httpPluginSchema,
  pluginSchema,
  socketPluginSchema,
  type PluginConfig,
} from '../../electron/engine/plugins/config.js';
import { compileIncludes, included, PluginHost, scopeChange } from '../../electron/engine/plugins/host.js';
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

  it("sersync's regexurl rule: the URL starts at the first group", () => {
    const values = matchValues(
      new RegExp('cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images', 'du'),
      '/data0/htdocs/cms.xoyo.com/site/jx3.xoyo.com/images/index.html',
    );
    expect(values).toMatchObject({ '1': '/jx3', from1: 'jx3.xoyo.com/images/index.html' });
    expect(matchValues(/nothing/d, '/a')).toBeNull();
  });
});

describe('HttpRunner requests', () => {
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

  it('refreshCDN: urls= for files, dirs= for directories, the published URL encoded', () => {
    const runner = new HttpRunner(cdn(false));
    expect(runner.request(file)).toEqual({
      method: 'GET',
      url: 'http://ccms.chinacache.com:80/index.jsp?user=me&pswd=secret&ok=ok&urls=http%3A%2F%2Fpic.xoyo.com%2Fcms%2Fjx3.xoyo.com%2Fimages%2Findex.html',
      body: null,
    });
    expect(runner.request({ ...file, dir: true })?.url).toContain('&dirs=http%3A%2F%2Fpic.xoyo.com');
  });

  it('refreshCDN with regexurl: the matched host, and no request for paths it misses', () => {
    const runner = new HttpRunner(cdn(true));
    expect(runner.request(file)?.url).toMatch(/&urls=http%3A%2F%2Fjx3\.xoyo\.com%2Fimages%2Findex\.html$/);
    expect(runner.request(item({ abspath: '/data0/other/x.html' }))).toBeNull();
  });

  it('never logs credentials', () => {
    expect(safeUrl('http://u:pw@h:8080/index.jsp?user=me&pswd=secret')).toBe('http://h:8080/index.jsp');
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

  it('frames names with a newline only in the json format', () => {
    expect(socketLine(item({ abspath: '/a\nb' }), 'path')).toBeNull();
    expect(JSON.parse(socketLine(item({ abspath: '/a\nb' }), 'json') as string)).toMatchObject({
      abspath: '/a\nb',
    });
  });
});
