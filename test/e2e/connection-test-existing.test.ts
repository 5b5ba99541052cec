// Issue 10, point 1, end to end against a real daemon: Test connection, given the pair's folder, says what the
// target path holds that the folder doesn't ("this path holds 202 entries, 201 not in your folder") and
// suggests a sub-path named after the host and folder, changing nothing on the target. Entries are counted
// like the first sync counts its deletions: each file, directory and link is one (other-laptop/ and its 200
// files are 201), names are bytes (non-UTF-8 names count like any other). Also a local directory target, the
// built CLI (rsync-live test-connection) and the app API (AppService.handle, what the UI and /api call).
import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection } from '../../electron/engine/connection-test.js';
import { Engine } from '../../electron/engine/index.js';
import { AppService, callService } from '../../electron/service/app-service.js';
import { JsonPairStore, MemorySecretStore } from '../../electron/service/stores.js';
import { describeTargetContents, type ConnectionTestResult } from '../../electron/shared/api.js';
import { manifest } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
const host = (os.hostname().split('.')[0] ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');

describe('Test connection compares the target path with the folder', () => {
  let daemon: RsyncDaemon;
  let work: string;
  let folder: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({
      modules: [{ name: 'backup' }, { name: 'empty' }, { name: 'bytes' }],
    });
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-conntest-'));
    folder = path.join(work, 'Documents');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'mine.txt'), 'ours');
    // Another machine's backup, plus one file the folder also has.
    const backup = daemon.modulePaths['backup'] as string;
    await fs.mkdir(path.join(backup, 'other-laptop'));
    for (let i = 0; i < 200; i++)
      await fs.writeFile(path.join(backup, 'other-laptop', `doc${i}.txt`), `theirs ${i}`);
    await fs.writeFile(path.join(backup, 'mine.txt'), 'an older copy of ours');
  });

  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(work, { recursive: true, force: true });
  });

  const test = (url: string, dir: string | null = folder): Promise<ConnectionTestResult> =>
    testConnection({ url, passwordFile: daemon.passwordFile, folder: dir });

  it('a module holding another machine backup: 202 entries, 201 not in the folder, a sub-path suggested', async () => {
    const backup = daemon.modulePaths['backup'] as string;
    const before = await manifest(backup);
    const result = await test(daemon.url('backup'));
    expect(result.error).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.existing).toEqual({
      entries: 202,
      foreign: 201,
      sample: ['other-laptop/'],
      suggestion: `rsync://${daemon.user}@127.0.0.1:${daemon.port}/backup/${host}-Documents`,
    });
    expect(describeTargetContents(result.existing!)).toBe(
      'this path holds 202 entries, 201 not in your folder',
    );
    // Dry runs only: nothing was sent, nothing deleted.
    expect(await manifest(backup)).toEqual(before);
  }, 60_000);

  it('the suggested sub-path is empty: nothing will be deleted', async () => {
    const first = await test(daemon.url('backup'));
    const result = await test(first.existing!.suggestion);
    expect(result.ok).toBe(true);
    expect(result.existing).toMatchObject({ entries: 0, foreign: 0, sample: [] });
    expect(describeTargetContents(result.existing!)).toBe('this path is empty: nothing will be deleted');
    // The write test created the sub-path (as the first sync would): gone again for the next tests.
    await fs.rm(path.join(daemon.modulePaths['backup'] as string, `${host}-Documents`), { recursive: true });
  }, 60_000);

  it('an empty module and a sub-path that does not exist yet', async () => {
    for (const url of [daemon.url('empty'), daemon.url('empty', 'not/there/yet')]) {
      const result = await test(url);
      expect(result.error).toBeNull();
      expect(result.existing).toMatchObject({ entries: 0, foreign: 0, sample: [] });
    }
  }, 60_000);

  it('counts non-UTF-8 and odd names as bytes', async () => {
    const bytes = Buffer.from(daemon.modulePaths['bytes'] as string);
    const at = (...names: (string | Buffer)[]): Buffer =>
      Buffer.concat([bytes, ...names.flatMap((n) => [Buffer.from('/'), Buffer.from(n)])]);
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "café.txt" in Latin-1
    const dir = Buffer.from([0x64, 0xff, 0xfe]);
    // The folder has café.txt (Latin-1 bytes) too; the module also has a directory with an invalid UTF-8 name
    // holding a name with a newline, and "-x #[1];*" at the top.
    await fs.writeFile(Buffer.concat([Buffer.from(`${folder}/`), latin1]), 'ours');
    await fs.writeFile(at(latin1), 'theirs');
    await fs.mkdir(at(dir));
    await fs.writeFile(at(dir, 'a\nb'), 'x');
    await fs.writeFile(at(dir, 'plain.txt'), 'x');
    await fs.writeFile(at('-x #[1];*'), 'x');
    try {
      const result = await test(daemon.url('bytes'));
      expect(result.error).toBeNull();
      // café.txt is in both; d\xff\xfe/, its two entries and "-x #[1];*" are not.
      expect(result.existing?.entries).toBe(5);
      expect(result.existing?.foreign).toBe(4);
      expect([...(result.existing?.sample ?? [])].sort()).toEqual(['-x #[1];*', 'd\uFFFD\uFFFD/']);
    } finally {
      await fs.rm(Buffer.concat([Buffer.from(`${folder}/`), latin1]));
    }
  }, 60_000);

  it('a local directory target is listed the same way', async () => {
    const local = path.join(work, 'usb');
    await fs.mkdir(path.join(local, 'old'), { recursive: true });
    await fs.writeFile(path.join(local, 'old', 'x.txt'), 'x');
    await fs.writeFile(path.join(local, 'mine.txt'), 'ours');
    const result = await test(local);
    expect(result.error).toBeNull();
    expect(result.existing).toEqual({
      entries: 3,
      foreign: 2,
      sample: ['old/'],
      suggestion: path.join(local, `${host}-Documents`),
    });
  }, 60_000);

  it('without a folder nothing is compared; a folder that is not there is named', async () => {
    const plain = await test(daemon.url('backup'), null);
    expect(plain.ok).toBe(true);
    expect(plain.existing).toBeUndefined();
    const missing = await test(daemon.url('backup'), path.join(work, 'nope'));
    expect(missing.ok).toBe(true);
    expect(missing.existing).toBeUndefined();
    expect(missing.existingNote).toMatch(/folder .*nope is not a directory on this machine/);
  }, 60_000);

  it('on the command line: rsync-live test-connection TARGET FOLDER (built CLI)', async () => {
    const env = { HOME: work, RSYNC_PASSWORD: '' };
    const ok = await execa(
      'node',
      [BIN, 'test-connection', daemon.url('backup'), '~/Documents', '--password-file', daemon.passwordFile],
      { reject: false, env },
    );
    expect(ok.exitCode).toBe(0);
    const lines = ok.stdout.split('\n');
    expect(lines).toContain('authentication ok');
    expect(lines).toContain('write access ok');
    expect(lines).toContain('this path holds 202 entries, 201 not in your folder');
    expect(lines).toContain('  other-laptop/');
    expect(lines).toContain(
      `use sub-path: rsync://${daemon.user}@127.0.0.1:${daemon.port}/backup/${host}-Documents`,
    );
    const denied = await execa('node', [BIN, 'test-connection', daemon.url('backup'), folder], {
      reject: false,
      env: { ...env, RSYNC_PASSWORD: 'wrong' },
    });
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toMatch(/^failed: .*auth/im);
    expect(denied.stderr).not.toContain('this path holds');
  }, 60_000);

  it('through the app API: the folder travels with the request ("~" is home), a wrong one is refused', async () => {
    const service = new AppService({
      engine: new Engine(),
      pairs: new JsonPairStore(path.join(work, 'config.json')),
      secrets: new MemorySecretStore(),
      home: work,
    });
    await service.start();
    try {
      const answer = (await callService(service, 'testConnection', {
        url: daemon.url('backup'),
        password: daemon.password,
        folder: '~/Documents',
      })) as { ok: true; value: ConnectionTestResult };
      expect(answer.value.existing).toMatchObject({ entries: 202, foreign: 201 });
      const refused = await callService(service, 'testConnection', {
        url: daemon.url('backup'),
        folder: 'relative/dir',
      });
      expect(refused).toMatchObject({ ok: false });
      expect(JSON.stringify(refused)).toMatch(/not an absolute path/);
    } finally {
      await service.stop();
    }
  }, 60_000);
});
