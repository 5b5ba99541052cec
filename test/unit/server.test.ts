// The headless server against a real AppService (real Engine, JsonPairStore on a temp file, in-memory
// secrets): token checks on HTTP and the WebSocket, the state route, the call envelope and its status codes,
// Host/Origin checks, static files without traversal, body limit, that no password ever leaves the app, and
// confirmDeletions on a pair whose delete guard tripped (a real folder emptied, a local target).
// importSersync: a preview saves nothing, apply saves and starts every pair, ids never clash with existing pairs,
// the password file path survives, relative paths need the file's path, and a malformed file is a 400 naming
// its line and column.
// Also `runServe`: the printed address, the 0600 token file and its replacement when others could read it, and
// the headless settings (getSettings values, setSettings refusing the read-only fields).
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Engine } from '../../electron/engine/index.js';
import { defaultStaticDir, resolveStaticPath } from '../../electron/server/static-files.js';
import { runServe } from '../../electron/cli/commands/serve.js';
import { startServer, type RunningServer } from '../../electron/server/server.js';
import { AppService } from '../../electron/service/app-service.js';
import { JsonPairStore, MemorySecretStore } from '../../electron/service/stores.js';
import type { PairView } from '../../electron/shared/api.js';
import { stockConfxml } from '../helpers/sersync-config.js';

const TOKEN = 'a'.repeat(64);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (node:http keeps the path and Host exactly as given, unlike fetch). */
function request(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };

/** Polls until `check` is true; fails naming `what`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function call(port: number, method: string, body: unknown): Promise<Reply> {
  return request(port, {
    method: 'POST',
    path: `/api/call/${method}`,
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Opens the events socket; resolves with the upgrade's HTTP status when refused. */
function openSocket(
  port: number,
  query: string,
): Promise<{ socket: WebSocket; messages: string[] } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events${query}`);
    // Collect from the start: the first message can arrive in the same read as the upgrade answer.
    const messages: string[] = [];
    socket.on('message', (data: Buffer) => messages.push(data.toString()));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

describe('headless server', () => {
  let work: string;
  let staticDir: string;
  let service: AppService;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-server-test-'));
    staticDir = path.join(work, 'static');
    await mkdir(path.join(staticDir, 'assets'), { recursive: true });
    await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>app</title>INDEX');
    await writeFile(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log(1);');
    await writeFile(path.join(staticDir, 'assets', 'app-1234.css'), 'body{}');
    await writeFile(path.join(work, 'secret.txt'), 'TOP-SECRET-FILE');
    await mkdir(path.join(work, 'folder'));
    service = new AppService({
      engine: new Engine(),
      pairs: new JsonPairStore(path.join(work, 'config', 'config.json')),
      secrets: new MemorySecretStore(),
    });
    await service.start();
    server = await startServer({ service, port: 0, token: TOKEN, staticDir });
    port = server.port;
  });

  afterAll(async () => {
    await server?.close();
    await service?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and reports its URL', () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
  });

  it('refuses /api without the token, or with a wrong one, with 401 and a JSON error', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: `Bearer ${'b'.repeat(64)}` },
      { Authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const reply = await request(port, { path: '/api/state', headers });
      expect(reply.status).toBe(401);
      expect(reply.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { kind: 'unauthorized' } });
    }
    const posted = await request(port, { method: 'POST', path: '/api/call/listPairs', body: '{}' });
    expect(posted.status).toBe(401);
  });

  it('refuses the WebSocket upgrade without the token or with a wrong one', async () => {
    expect(await openSocket(port, '')).toEqual({ status: 401 });
    expect(await openSocket(port, `?token=${'c'.repeat(64)}`)).toEqual({ status: 401 });
  });

  it('GET /api/state returns the engine state', async () => {
    const reply = await request(port, { path: '/api/state', headers: auth });
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(reply.body)).toEqual({ version: 1, pairs: [] });
  });

  it('answers calls with the ApiResult envelope and maps error kinds to status codes', async () => {
    const listed = await call(port, 'listPairs', {});
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body)).toEqual({ ok: true, value: [] });

    const invalid = await call(port, 'savePair', {
      pair: { id: 'p1', folder: '/tmp', targets: [{ url: 7 }] },
    });
    expect(invalid.status).toBe(400);
    const envelope = JSON.parse(invalid.body) as { ok: false; error: { kind: string; message: string } };
    expect(envelope.ok).toBe(false);
    expect(envelope.error.kind).toBe('invalid-request');
    expect(envelope.error.message).toContain('pair.targets[0].url');

    const missing = await call(port, 'removePair', { pairId: 'nope' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ ok: false, error: { kind: 'not-found' } });

    const unknown = await call(port, 'dropTables', {});
    expect(unknown.status).toBe(400);

    const notJson = await request(port, {
      method: 'POST',
      path: '/api/call/listPairs',
      headers: auth,
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ error: { kind: 'invalid-request' } });

    const wrongMethod = await request(port, { path: '/api/call/listPairs', headers: auth });
    expect(wrongMethod.status).toBe(405);
  });

  it('refuses request bodies over 1 MiB', async () => {
    const reply = await request(port, {
      method: 'POST',
      path: '/api/call/listPairs',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: Buffer.alloc(1024 * 1024 + 10, 0x20),
    });
    expect(reply.status).toBe(413);
  });

  it('rejects a foreign Host header (DNS rebinding) on pages, the API and the WebSocket', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `rebind.127.0.0.1.nip.io:${port}`,
    ]) {
      const page = await request(port, { path: '/', headers: { Host: host } });
      expect(page.status, host).toBe(403);
      const api = await request(port, { path: '/api/state', headers: { ...auth, Host: host } });
      expect(api.status, host).toBe(403);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const api = await request(port, { path: '/api/state', headers: { ...auth, Host: host } });
      expect(api.status, host).toBe(200);
    }
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events?token=${TOKEN}`, {
      headers: { Host: 'evil.example' },
    });
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(101));
      socket.once('error', () => resolve(-1));
    });
    socket.terminate();
    expect(status).toBe(403);
  });

  it('rejects cross-origin POSTs and accepts its own origin', async () => {
    const body = '{}';
    const foreign = await request(port, {
      method: 'POST',
      path: '/api/call/listPairs',
      headers: { ...auth, Origin: 'http://evil.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const own = await request(port, {
      method: 'POST',
      path: '/api/call/listPairs',
      headers: { ...auth, Origin: `http://127.0.0.1:${port}` },
      body,
    });
    expect(own.status).toBe(200);
  });

  it('serves the build with content types, CSP and nosniff; unknown routes get index.html', async () => {
    const index = await request(port, { path: '/' });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('INDEX');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const csp = index.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain('unsafe-inline');

    const js = await request(port, { path: '/assets/app-1234.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    const css = await request(port, { path: '/assets/app-1234.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');

    const route = await request(port, { path: '/some/client/route?x=1' });
    expect(route.status).toBe(200);
    expect(route.body).toContain('INDEX');
    expect((await request(port, { path: '/assets/missing.js' })).status).toBe(404);
    expect((await request(port, { path: '/api/nothing', headers: auth })).status).toBe(404);
  });

  it('rejects path traversal, encoded or not', async () => {
    for (const attempt of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00index.html',
      '/%E0%A4%A',
    ]) {
      const reply = await request(port, { path: attempt });
      expect(reply.status, attempt).toBe(400);
      expect(reply.body).not.toContain('TOP-SECRET');
    }
    expect(resolveStaticPath('/srv/app', '/a/b.js')).toEqual({ file: '/srv/app/a/b.js' });
    expect(resolveStaticPath('/srv/app', '/../app-evil/x')).toEqual({ status: 400 });
  });

  it('never sends a stored password back: not in /api/state, listPairs, savePair or events', async () => {
    const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
    const opened = await openSocket(port, `?token=${TOKEN}`);
    if (!('socket' in opened)) throw new Error(`socket refused: ${opened.status}`);
    const { messages } = opened;

    const saved = await call(port, 'savePair', {
      pair: {
        id: 'secret-pair',
        folder: path.join(work, 'folder'),
        // Port 1 on loopback refuses at once: the engine fails fast and reports it.
        targets: [{ id: 't1', url: 'rsync://backup@127.0.0.1:1/data', password }],
      },
    });
    expect(saved.status).toBe(200);
    const view = (JSON.parse(saved.body) as { value: { targets: { hasPassword: boolean }[] } }).value;
    expect(view.targets[0]?.hasPassword).toBe(true);

    await service.whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bodies = [
      saved.body,
      (await request(port, { path: '/api/state', headers: auth })).body,
      (await call(port, 'listPairs', {})).body,
      (await call(port, 'getState', {})).body,
      (await call(port, 'getActivity', {})).body,
      await readFile(path.join(work, 'config', 'config.json'), 'utf8'),
      ...messages,
    ];
    expect(messages.length).toBeGreaterThan(1);
    expect(JSON.parse(messages[0] as string)).toMatchObject({ event: 'state', payload: { version: 1 } });
    for (const body of bodies) expect(body).not.toContain(password);
    expect(bodies.join('\n')).toContain('secret-pair');
    opened.socket.close();
  });

  it('confirmDeletions: 404 for an unknown pair; a tripped guard is released and the target mirrors the folder', async () => {
    const missing = await call(port, 'confirmDeletions', { pairId: 'nope' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      ok: false,
      error: { kind: 'not-found', message: 'there is no pair "nope"' },
    });
    for (const invalid of [{}, { pairId: '' }, { pairId: 'x', targetId: 't1' }]) {
      const refused = await call(port, 'confirmDeletions', invalid);
      expect(refused.status, JSON.stringify(invalid)).toBe(400);
    }

    // A folder with three files mirrored to a local directory, then emptied: the guard holds the deletions.
    const folder = path.join(work, 'guarded');
    const backup = path.join(work, 'guarded-backup');
    await mkdir(folder);
    await mkdir(backup);
    const files = ['a.txt', 'b.txt', 'c.txt'];
    for (const name of files) await writeFile(path.join(folder, name), name);
    const events: string[] = [];
    const onFailure = (info: { pairId: string; targetId: string | null; error: { kind: string } }): void => {
      if (info.pairId === 'guarded') events.push(`failure:${info.targetId}:${info.error.kind}`);
    };
    const onRecovered = (info: { pairId: string; targetId: string | null }): void => {
      if (info.pairId === 'guarded') events.push(`recovered:${info.targetId}`);
    };
    service.events.on('failure', onFailure);
    service.events.on('recovered', onRecovered);
    try {
      const saved = await call(port, 'savePair', {
        pair: {
          id: 'guarded',
          folder,
          targets: [{ id: 't1', url: backup }],
          deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 3 },
        },
      });
      expect(saved.status).toBe(200);
      expect(JSON.parse(saved.body).value.deleteGuard).toEqual({
        enabled: true,
        maxShare: 0.5,
        minEntries: 3,
      });
      await until('the backup has the three files', async () => (await readdir(backup)).length === 3);
      await service.whenIdle('guarded');
      // Nothing tripped yet: nothing to confirm, nothing happens.
      const early = await call(port, 'confirmDeletions', { pairId: 'guarded' });
      expect(JSON.parse(early.body)).toEqual({ ok: true, value: { confirmed: false } });

      await Promise.all(files.map((name) => rm(path.join(folder, name))));
      const guardOf = async (): Promise<{ reason: string; held: number; message: string } | null> => {
        const reply = await request(port, { path: '/api/state', headers: auth });
        const state = JSON.parse(reply.body) as {
          pairs: {
            id: string;
            status: string;
            deleteGuard: { reason: string; held: number; message: string } | null;
          }[];
        };
        return state.pairs.find((p) => p.id === 'guarded')?.deleteGuard ?? null;
      };
      await until('the guard holds three deletions', async () => (await guardOf())?.held === 3);
      expect(await guardOf()).toMatchObject({ reason: 'mass-delete', held: 3 });
      expect((await guardOf())?.message).toMatch(
        /^deletions paused: 3 of 3 entries of .*guarded would be deleted/,
      );
      expect(events).toEqual(['failure:null:delete-guard']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await readdir(backup)).sort()).toEqual(files);

      const confirmed = await call(port, 'confirmDeletions', { pairId: 'guarded' });
      expect(confirmed.status).toBe(200);
      expect(JSON.parse(confirmed.body)).toEqual({ ok: true, value: { confirmed: true } });
      expect(await guardOf()).toBeNull();
      expect(events).toEqual(['failure:null:delete-guard', 'recovered:null']);
      await until('the backup is empty', async () => (await readdir(backup)).length === 0);
      const again = await call(port, 'confirmDeletions', { pairId: 'guarded' });
      expect(JSON.parse(again.body)).toEqual({ ok: true, value: { confirmed: false } });
    } finally {
      service.events.off('failure', onFailure);
      service.events.off('recovered', onRecovered);
      await call(port, 'removePair', { pairId: 'guarded' });
    }
  });
});

/** The stock confxml.xml (test/fixtures/sersync) around `localpaths`, with a filter, crontab and a CDN login. */
function stockConfxmlFor(localpaths: string, passwordFile: string): string {
  return stockConfxml({
    filter:
      '    <filter start="true">\n\t<exclude expression="(.*)\\.svn"></exclude>\n\t<exclude expression="(.*)\\.gz"></exclude>\n    </filter>',
    localpaths,
    rsyncAttrs: {
      auth: `start="true" users="backup" passwordfile="${passwordFile}"`,
      userDefinedPort: 'start="true" port="1"',
      timeout: 'start="true" time="100"',
    },
    crontab:
      '\t<crontab start="true" schedule="600">\n\t    <crontabfilter start="true"><exclude expression="*.php"></exclude></crontabfilter>\n\t</crontab>',
    plugins: `    <plugin name="command">
\t<param prefix="/bin/sh" suffix="" ignoreError="true"/>
    </plugin>
    <plugin name="refreshCDN">
\t<localpath watch="/data0/htdocs/site/">
\t    <cdninfo domainname="ccms.chinacache.com" port="80" username="cdn-user" passwd="cdn-password"/>
\t    <sendurl base="http://pic.example.com/cms"/>
\t    <regexurl regex="false" match="x"/>
\t</localpath>
    </plugin>
`,
  });
}

describe('importSersync through the headless server', () => {
  let work: string;
  let service: AppService;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-import-test-'));
    service = new AppService({
      engine: new Engine(),
      pairs: new JsonPairStore(path.join(work, 'config', 'config.json')),
      secrets: new MemorySecretStore(),
    });
    await service.start();
    server = await startServer({ service, port: 0, token: TOKEN, staticDir: path.join(work, 'static') });
    port = server.port;
  });

  afterAll(async () => {
    await server?.close();
    await service?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  interface ImportValue {
    pairs: PairView[];
    warnings: string[];
    plugins: { kind: string; detail: string }[];
    applied: boolean;
  }
  const ids = async (): Promise<string[]> =>
    (JSON.parse((await call(port, 'listPairs', {})).body).value as PairView[]).map((pair) => pair.id);

  it("keepExisting: 404 for an unknown pair; data already on a new pair's target is kept for good", async () => {
    const missing = await call(port, 'keepExisting', { pairId: 'nope' });
    expect(missing.status).toBe(404);
    const folder = path.join(work, 'merge');
    const backup = path.join(work, 'merge-backup');
    await mkdir(folder);
    await mkdir(path.join(backup, 'other-laptop'), { recursive: true });
    await writeFile(path.join(folder, 'mine.txt'), 'ours');
    await writeFile(path.join(backup, 'other-laptop', 'theirs.txt'), 'theirs');
    try {
      const saved = await call(port, 'savePair', {
        pair: { id: 'merge', folder, targets: [{ id: 't1', url: backup }] },
      });
      expect(saved.status).toBe(200);
      const existingOf = async (): Promise<{ entries: number; paths: string[] } | null> => {
        const reply = await request(port, { path: '/api/state', headers: auth });
        const state = JSON.parse(reply.body) as {
          pairs: { id: string; targets: { existing: { entries: number; paths: string[] } | null }[] }[];
        };
        return state.pairs.find((p) => p.id === 'merge')?.targets[0]?.existing ?? null;
      };
      await until(
        'the first sync asks about the data on the target',
        async () => (await existingOf()) !== null,
      );
      expect(await existingOf()).toMatchObject({ entries: 2, paths: ['other-laptop/'] });
      expect((await readdir(backup)).sort()).toEqual(['mine.txt', 'other-laptop']);

      const kept = await call(port, 'keepExisting', { pairId: 'merge', targetId: 't1' });
      expect(JSON.parse(kept.body)).toEqual({ ok: true, value: { kept: true } });
      expect(await existingOf()).toBeNull();
      // Kept for good: a full sync (mirror mode) leaves it.
      expect((await call(port, 'syncNow', { pairId: 'merge' })).status).toBe(200);
      await service.whenIdle('merge');
      expect((await readdir(backup)).sort()).toEqual(['mine.txt', 'other-laptop']);
      expect(await readdir(path.join(backup, 'other-laptop'))).toEqual(['theirs.txt']);
      const again = await call(port, 'keepExisting', { pairId: 'merge' });
      expect(JSON.parse(again.body)).toEqual({ ok: true, value: { kept: false } });
    } finally {
      await call(port, 'removePair', { pairId: 'merge' });
    }
  });
  it('previews without saving, then applies: ids made unique, password file kept, every pair started', async () => {
    // Two folders named "www" (the import calls them www and www-2) and an existing pair already called "www".
    const siteA = path.join(work, 'a', 'www');
    const siteB = path.join(work, 'b', 'www');
    await mkdir(siteA, { recursive: true });
    await mkdir(siteB, { recursive: true });
    const passwordFile = path.join(work, 'rsync.pas');
    await writeFile(passwordFile, 'secret\n', { mode: 0o600 });
    const existing = await call(port, 'savePair', {
      pair: { id: 'www', folder: siteA, targets: [{ id: 't1', url: 'rsync://127.0.0.1:1/data' }] },
    });
    expect(existing.status).toBe(200);
    const xml = stockConfxmlFor(
      [
        `\t<localpath watch="${siteA}">\n\t    <remote ip="127.0.0.1" name="tongbu1"/>\n\t</localpath>`,
        `\t<localpath watch="${siteB}/">\n\t    <remote ip="127.0.0.1" name="tongbu2"/>\n\t    <remote ip="::1" name="tongbu2"/>\n\t</localpath>`,
      ].join('\n'),
      passwordFile,
    );

    const preview = await call(port, 'importSersync', { xml, fileName: 'sersync-web.xml' });
    expect(preview.status).toBe(200);
    const planned = JSON.parse(preview.body).value as ImportValue;
    expect(planned.applied).toBe(false);
    // "www" is taken by the existing pair and "www-2" by the second folder: the first becomes "www-3".
    expect(planned.pairs.map((pair) => [pair.id, pair.folder])).toEqual([
      ['www-3', siteA],
      ['www-2', siteB],
    ]);
    const [first, second] = planned.pairs;
    expect(first?.targets).toEqual([
      {
        id: 'tongbu1',
        url: 'rsync://backup@127.0.0.1:1/tongbu1',
        passwordFile,
        hasPassword: false,
        concurrency: 2,
      },
    ]);
    expect(second?.targets.map((target) => [target.url, target.passwordFile])).toEqual([
      ['rsync://backup@127.0.0.1:1/tongbu2', passwordFile],
      ['rsync://backup@[::1]:1/tongbu2', passwordFile],
    ]);
    expect(first?.name).toBeUndefined(); // titled by the folder's name in the window, like a pair from the form
    expect(first).toMatchObject({
      deletion: 'mirror',
      excludes: { regex: ['(.*)\\.svn', '(.*)\\.gz'], glob: [] },
      fullSync: { onStart: true, schedule: '0 */8 * * *', excludes: ['*.php'] },
      rsync: { extraArgs: ['-u', '-z'], timeoutSec: 100 },
    });
    // Each warning names the file and its line; the app adds the renamed id and the folder synced twice.
    expect(planned.warnings).toContain(
      'sersync-web.xml:3: <host> inside <head> is ignored: a field sersync reserved for plugins and never used; rsync-live needs no control port (use `rsync-live serve` for a UI)',
    );
    expect(planned.warnings.find((w) => w.includes('<crontab schedule="600">'))).toMatch(
      /^sersync-web\.xml:\d+: /,
    );
    expect(planned.warnings).toContain(
      `sersync-web.xml: the id "www" is taken: ${siteA} is imported as "www-3"`,
    );
    expect(planned.warnings).toContain(
      `sersync-web.xml: ${siteA} is already synced (folder id "www"): importing it adds a second pair for the same folder`,
    );
    // Plugins and the fail log are listed, not imported; the CDN login never appears.
    expect(planned.plugins.map((plugin) => plugin.kind)).toEqual(['command', 'refreshCDN', 'failLog']);
    expect(planned.plugins[0]?.detail).toBe(
      'runs /bin/sh PATH for each new, changed or deleted path (switched off in the file)',
    );
    expect(planned.plugins[2]?.detail).toMatch(
      /^records failed paths in \/tmp\/rsync_fail_log\.log and retries them every 60 min/,
    );
    expect(preview.body).not.toContain('cdn-password');
    // Nothing was saved or started.
    expect(await ids()).toEqual(['www']);
    expect(service.state().pairs.map((pair) => pair.id)).toEqual(['www']);
    expect(await readFile(path.join(work, 'config', 'config.json'), 'utf8')).not.toContain('www-3');

    const applied = await call(port, 'importSersync', { xml, fileName: 'sersync-web.xml', apply: true });
    expect(applied.status).toBe(200);
    const done = JSON.parse(applied.body).value as ImportValue;
    expect(done.applied).toBe(true);
    expect(done.pairs).toEqual(planned.pairs);
    expect(done.warnings).toEqual(planned.warnings);
    expect(await ids()).toEqual(['www', 'www-3', 'www-2']);
    expect(service.state().pairs.map((pair) => pair.id)).toEqual(['www', 'www-3', 'www-2']);
    const stored = JSON.parse(await readFile(path.join(work, 'config', 'config.json'), 'utf8')) as {
      pairs: { id: string; targets: { passwordFile?: string }[] }[];
    };
    expect(stored.pairs.find((pair) => pair.id === 'www-2')?.targets.map((t) => t.passwordFile)).toEqual([
      passwordFile,
      passwordFile,
    ]);
    // The engine runs them with the password file (the daemon on port 1 refuses: a connection error).
    await until('the imported pairs to try their targets', async () => {
      const state = service.state().pairs.find((pair) => pair.id === 'www-3');
      return state?.targets[0]?.error?.kind === 'connection-refused';
    });

    // Importing the same file again would sync both folders into targets other pairs already mirror into: the
    // preview says why for each, and applying it is refused, field by field, with nothing saved.
    const againPreview = await call(port, 'importSersync', { xml });
    const againPlan = JSON.parse(againPreview.body).value as ImportValue;
    expect(againPlan.warnings.filter((w) => w.includes('is not imported'))).toHaveLength(2);
    expect(againPlan.warnings).toContainEqual(
      expect.stringMatching(
        /is the same place as pair "www-3"'s target .*the two would delete each other's files/,
      ),
    );
    const again = await call(port, 'importSersync', { xml, apply: true });
    expect(again.status).toBe(400);
    const refusal = JSON.parse(again.body) as { error: { message: string; issues: { field: string }[] } };
    expect(refusal.error.message).toMatch(/is already mirrored to .* by pair "www-3"/);
    expect(refusal.error.issues[0]?.field).toBe('pairs.0.targets.0.url');
    expect(await ids()).toEqual(['www', 'www-3', 'www-2']);
    for (const id of await ids()) await call(port, 'removePair', { pairId: id });
  });

  it('refuses a malformed file with its line and column, and saves nothing', async () => {
    const passwordFile = path.join(work, 'rsync.pas');
    const good = stockConfxmlFor(
      `\t<localpath watch="${work}">\n\t    <remote ip="127.0.0.1" name="tongbu1"/>\n\t</localpath>`,
      passwordFile,
    );
    const lineOf = (xml: string, needle: string): number =>
      xml.slice(0, xml.indexOf(needle)).split('\n').length;

    const unclosed = good.replace('<debug start="false"/>', '<debug start="false">');
    const notWellFormed = await call(port, 'importSersync', { xml: unclosed, fileName: 'broken.xml' });
    expect(notWellFormed.status).toBe(400);
    const error = (JSON.parse(notWellFormed.body) as { error: { kind: string; message: string } }).error;
    expect(error.kind).toBe('invalid-request');
    expect(error.message).toMatch(/^broken\.xml:\d+:\d+: not well-formed XML: /);

    const typo = good.replace(
      '<remote ip="127.0.0.1" name="tongbu1"/>',
      '<remote ip="127.0.0.1" nmae="tongbu1"/>',
    );
    const unknown = await call(port, 'importSersync', { xml: typo, apply: true });
    expect(unknown.status).toBe(400);
    const typoError = (JSON.parse(unknown.body) as { error: { kind: string; message: string } }).error;
    expect(typoError.kind).toBe('invalid-request');
    expect(typoError.message).toMatch(
      new RegExp(
        `^confxml\\.xml:${lineOf(typo, 'nmae')}:\\d+: <remote> inside <localpath> has no attribute "nmae": it takes "ip", "name", "port"$`,
      ),
    );

    // A relative watch resolves against the file only when its path is known.
    const relative = good.replace(`watch="${work}"`, 'watch="site"');
    const bare = await call(port, 'importSersync', { xml: relative, fileName: 'confxml.xml' });
    expect(JSON.parse(bare.body).error.message).toBe(
      `confxml.xml:${lineOf(relative, 'watch="site"')}: watch "site" must be an absolute path`,
    );
    const located = await call(port, 'importSersync', {
      xml: relative,
      fileName: '/etc/sersync/confxml.xml',
    });
    const resolved = JSON.parse(located.body).value as ImportValue;
    expect(resolved.pairs[0]?.folder).toBe('/etc/sersync/site');
    expect(resolved.warnings).toContain(
      `/etc/sersync/confxml.xml:${lineOf(relative, 'watch="site"')}: watch "site" is relative: using /etc/sersync/site (relative to the config file)`,
    );

    for (const invalid of [{}, { xml: '' }, { xml: good, apply: 'yes' }, { xml: good, extra: 1 }]) {
      const refused = await call(port, 'importSersync', invalid);
      expect(refused.status, JSON.stringify(invalid)).toBe(400);
      expect(JSON.parse(refused.body).error.message).toMatch(/^invalid importSersync request:/);
    }
    expect(await ids()).toEqual([]);
  });
});

describe('headless server without a renderer build', () => {
  it('looks for renderer/dist beside the repository, from the compiled file or the source', () => {
    expect(defaultStaticDir('file:///repo/dist/electron/server/static-files.js')).toBe('/repo/renderer/dist');
    expect(defaultStaticDir('file:///repo/electron/server/static-files.ts')).toBe('/repo/renderer/dist');
  });

  it('still serves the API and says to run npm run build', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-server-nodist-'));
    const service = new AppService({
      engine: new Engine(),
      pairs: new JsonPairStore(path.join(work, 'config.json')),
      secrets: new MemorySecretStore(),
    });
    const server = await startServer({
      service,
      port: 0,
      token: TOKEN,
      staticDir: path.join(work, 'no-dist'),
    });
    try {
      const page = await request(server.port, { path: '/' });
      expect(page.status).toBe(200);
      expect(page.body).toContain('npm run build');
      const state = await request(server.port, { path: '/api/state', headers: auth });
      expect(JSON.parse(state.body)).toEqual({ version: 1, pairs: [] });
    } finally {
      await server.close();
      await service.stop();
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('rsync-live serve', () => {
  async function serveOnce(
    configHome: string,
    during?: (port: number, token: string) => Promise<void>,
  ): Promise<{ line: string; errors: string[]; code: number }> {
    const out: string[] = [];
    const errors: string[] = [];
    let stop!: (signal: string) => void;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const running = runServe(
      ['--listen', '127.0.0.1:0', '--no-open'],
      {
        out: (l) => out.push(l),
        err: (l) => errors.push(l),
        env: { XDG_CONFIG_HOME: configHome },
        cwd: configHome,
      },
      { stopSignal, staticDir: null },
    );
    while (out.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const line = out[0] as string;
    const match = /^http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64})$/.exec(line);
    expect(match, line).not.toBeNull();
    const reply = await request(Number(match?.[1]), {
      path: '/api/state',
      headers: { Authorization: `Bearer ${match?.[2]}` },
    });
    expect(reply.status).toBe(200);
    try {
      await during?.(Number(match?.[1]), match?.[2] ?? '');
    } finally {
      stop('SIGTERM');
    }
    const code = await running;
    expect(out).toHaveLength(1);
    return { line, errors, code };
  }

  it('prints one address line, keeps a 0600 token and replaces it when others could read it', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-serve-test-'));
    try {
      const tokenFile = path.join(home, 'rsync-live', 'serve-token');
      const first = await serveOnce(home);
      expect(first.code).toBe(0);
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
      const token = (await readFile(tokenFile, 'utf8')).trim();
      expect(first.line.endsWith(`#token=${token}`)).toBe(true);

      const second = await serveOnce(home);
      expect(second.line).toBe(first.line.replace(/:\d+\//, second.line.match(/:\d+\//)?.[0] ?? ''));
      expect(second.errors).toEqual([]);

      await chmod(tokenFile, 0o644);
      const third = await serveOnce(home);
      expect(third.errors.join('\n')).toMatch(/readable by others/);
      expect(third.line).not.toContain(token);
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('answers the headless settings; setSettings refuses the read-only fields and enabling start at login', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-serve-test-'));
    try {
      await serveOnce(home, async (port, token) => {
        const callServe = (method: string, body: unknown): Promise<Reply> =>
          request(port, {
            method: 'POST',
            path: `/api/call/${method}`,
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          });
        const settings = await callServe('getSettings', {});
        expect(settings.status).toBe(200);
        expect(JSON.parse(settings.body)).toEqual({
          ok: true,
          value: {
            autostart: false,
            notifications: true,
            secretsPersisted: true,
            secretsNote: null,
            autostartSupported: false,
          },
        });

        for (const readOnly of [
          { secretsPersisted: false },
          { autostartSupported: true },
          { secretsNote: 'x' },
        ]) {
          const refused = await callServe('setSettings', { notifications: false, ...readOnly });
          expect(refused.status).toBe(400);
          const envelope = JSON.parse(refused.body) as {
            ok: false;
            error: { kind: string; message: string };
          };
          expect(envelope.error.kind).toBe('invalid-request');
          expect(envelope.error.message).toContain(Object.keys(readOnly)[0]);
        }

        const autostart = await callServe('setSettings', { autostart: true });
        expect(autostart.status).toBe(503);
        expect(JSON.parse(autostart.body)).toMatchObject({
          error: { kind: 'unavailable', message: expect.stringMatching(/desktop-app setting/) },
        });

        const changed = await callServe('setSettings', { notifications: false });
        expect(JSON.parse(changed.body)).toMatchObject({ ok: true, value: { notifications: false } });
        const after = await callServe('getSettings', {});
        expect(JSON.parse(after.body)).toMatchObject({ value: { notifications: false, autostart: false } });
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses a malformed --listen with exit status 2', async () => {
    const errors: string[] = [];
    const code = await runServe(['--listen', 'nonsense'], {
      out: () => undefined,
      err: (l) => errors.push(l),
      env: {},
      cwd: '/',
    });
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('--listen takes HOST:PORT');
  });
});
