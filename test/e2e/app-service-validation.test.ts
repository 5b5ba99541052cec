// The app's side of issue 14 through AppService.handle (what the UI and /api call), with real daemons:
// savePair refuses field by field and expands "~", a password typed into the URL moves into the secret store
// and appears nowhere else, testConnection sends a stored password only to the server it was stored for, and a
// pair whose folder was missing at start starts on Retry now once the folder is there.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { AppService, callService } from '../../electron/service/app-service.js';
import { JsonPairStore, MemorySecretStore } from '../../electron/service/stores.js';
import type { ConnectionTestResult, PairView } from '../../electron/shared/api.js';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually } from '../helpers/engine-harness.js';

describe('AppService validation and secrets', () => {
  let work: string;
  let home: string;
  let daemon: RsyncDaemon;
  let impostor: RsyncDaemon;
  let secrets: MemorySecretStore;
  let configFile: string;
  let service: AppService;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-appsvc-'));
    home = path.join(work, 'home');
    await mkdir(path.join(home, 'Documents'), { recursive: true });
    await writeFile(path.join(home, 'Documents', 'a.txt'), 'a');
    daemon = await startRsyncDaemon();
    // Another server that would accept the same password: it must never be sent there.
    impostor = await startRsyncDaemon({ password: daemon.password });
    configFile = path.join(work, 'config.json');
    // Stored before its folder existed.
    await writeFile(
      configFile,
      JSON.stringify({
        version: 1,
        pairs: [
          {
            id: 'later',
            folder: path.join(work, 'later'),
            targets: [{ url: path.join(work, 'later-copy') }],
          },
        ],
      }),
    );
    secrets = new MemorySecretStore();
    service = new AppService({ engine: new Engine(), pairs: new JsonPairStore(configFile), secrets, home });
    await service.start();
  });

  afterAll(async () => {
    await service?.stop();
    await daemon?.dispose();
    await impostor?.dispose();
    await rm(work, { recursive: true, force: true });
  });

  const call = (method: string, request: unknown) => callService(service, method, request);

  it('savePair refuses each problem at its field and saves nothing', async () => {
    const target = { url: path.join(work, 'copy') };
    const cases: [unknown, string, RegExp][] = [
      [{ id: 'x', folder: 'relative/dir', targets: [target] }, 'folder', /not an absolute path/],
      [{ id: 'x', folder: '/', targets: [target] }, 'folder', /whole system/],
      [{ id: 'x', folder: '/proc', targets: [target] }, 'folder', /tree of the running system/],
      [{ id: 'x', folder: path.join(work, 'missing'), targets: [target] }, 'folder', /does not exist/],
      [{ id: 'x', folder: configFile, targets: [target] }, 'folder', /is a file/],
      [{ id: 'x', folder: work, targets: [{ url: 'h:::m' }] }, 'targets.0.url', /malformed/],
      [
        { id: 'x', folder: work, targets: [target], rsync: { extraArgs: ['--remove-source-files'] } },
        'rsync.extraArgs.0',
        /--remove-source-files is refused/,
      ],
    ];
    for (const [pair, field, message] of cases) {
      const result = await call('savePair', { pair });
      expect(result.ok, JSON.stringify(pair)).toBe(false);
      if (result.ok) continue;
      expect(result.error.kind).toBe('invalid-request');
      expect(result.error.issues?.[0]).toEqual({ field, message: expect.stringMatching(message) });
    }
    const listed = await call('listPairs', {});
    expect(listed.ok && (listed.value as PairView[]).map((pair) => pair.id)).toEqual(['later']);
  });

  it('"~" means home; a password in the URL goes to the secret store and nowhere else', async () => {
    const url = `rsync://${daemon.user}:${daemon.password}@127.0.0.1:${daemon.port}/${daemon.moduleName}/docs`;
    const saved = await call('savePair', { pair: { id: 'docs', folder: '~/Documents', targets: [{ url }] } });
    expect(saved.ok, JSON.stringify(saved)).toBe(true);
    const view = (saved as { value: PairView }).value;
    expect(view.folder).toBe(path.join(home, 'Documents'));
    expect(view.targets[0]).toMatchObject({
      id: 't1',
      url: daemon.url(daemon.moduleName, 'docs'),
      hasPassword: true,
    });
    expect(await secrets.get('docs/t1')).toBe(daemon.password);
    await waitForConverge(path.join(home, 'Documents'), path.join(daemon.modulePath, 'docs'));
    for (const shown of [
      JSON.stringify(await call('listPairs', {})),
      JSON.stringify(service.state()),
      await readFile(configFile, 'utf8'),
    ])
      expect(shown).not.toContain(daemon.password);

    // The same folder and target again: refused at the target's field.
    const again = await call('savePair', {
      pair: {
        id: 'docs-2',
        folder: path.join(home, 'Documents'),
        targets: [{ url: daemon.url(daemon.moduleName, 'docs') }],
      },
    });
    expect(again.ok).toBe(false);
    expect(!again.ok && again.error.issues?.[0]).toEqual({
      field: 'targets.0.url',
      message: expect.stringMatching(/already mirrored to .* by pair "docs"/),
    });
  }, 30_000);

  it('testConnection sends the stored password only to the server it was stored for', async () => {
    const same = await call('testConnection', {
      url: daemon.url(daemon.moduleName, 'docs'),
      pairId: 'docs',
      targetId: 't1',
    });
    expect((same as { value: ConnectionTestResult }).value).toMatchObject({ ok: true, authOk: true });
    const elsewhere = await call('testConnection', {
      url: impostor.url(impostor.moduleName),
      pairId: 'docs',
      targetId: 't1',
    });
    const result = (elsewhere as { value: ConnectionTestResult }).value;
    expect(result.ok).toBe(false);
    expect(result.authOk).not.toBe(true);
    // A password typed into the tested URL is used, and not echoed.
    const typed = await call('testConnection', {
      url: `rsync://${impostor.user}:${impostor.password}@127.0.0.1:${impostor.port}/${impostor.moduleName}`,
    });
    expect((typed as { value: ConnectionTestResult }).value).toMatchObject({ ok: true, authOk: true });
    expect(JSON.stringify(typed)).not.toContain(impostor.password);
  }, 30_000);

  it('a pairs file saved with a password in a URL: it moves into the secret store and the file is rewritten', async () => {
    const file = path.join(work, 'old-config.json');
    const url = `rsync://${daemon.user}:${daemon.password}@127.0.0.1:${daemon.port}/${daemon.moduleName}/old`;
    await writeFile(
      file,
      JSON.stringify({ version: 1, pairs: [{ id: 'old', folder: home, targets: [{ url }] }] }),
    );
    const store = new MemorySecretStore();
    const old = new AppService({ engine: new Engine(), pairs: new JsonPairStore(file), secrets: store });
    await old.start();
    try {
      expect(await store.get('old/t1')).toBe(daemon.password);
      expect(await readFile(file, 'utf8')).not.toContain(daemon.password);
      expect(JSON.stringify(old.state())).not.toContain(daemon.password);
      await waitForConverge(home, path.join(daemon.modulePath, 'old'));
    } finally {
      await old.stop();
    }
  }, 30_000);

  it('a pair whose folder was missing starts on Retry now once the folder exists', async () => {
    const before = service.state().pairs.find((pair) => pair.id === 'later');
    expect(before?.watcher.error?.kind).toBe('source-missing');
    await mkdir(path.join(work, 'later'));
    await writeFile(path.join(work, 'later', 'f.txt'), 'later');
    expect((await call('retryNow', { pairId: 'later' })).ok).toBe(true);
    await waitForConverge(path.join(work, 'later'), path.join(work, 'later-copy'));
    await eventually(() =>
      expect(service.state().pairs.find((pair) => pair.id === 'later')?.watcher.error ?? null).toBeNull(),
    );
  }, 30_000);
});
