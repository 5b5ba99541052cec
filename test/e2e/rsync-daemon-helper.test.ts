// E2E check of the test helpers themselves: real rsync daemon lifecycle (auth, outage, restart, read-only
// toggle) and byte-exact manifests over awkward file names.
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffManifests, manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

function push(src: string, dest: string, password: string, extra: string[] = []) {
  return execa('rsync', ['-a', '--contimeout=5', '--timeout=20', ...extra, src, dest], {
    env: { RSYNC_PASSWORD: password },
    reject: false,
  });
}

describe('rsync daemon test helper', () => {
  let daemon: RsyncDaemon;
  let work: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({
      modules: [{ name: 'data' }, { name: 'other', readOnly: true }],
      socketNodelay: true,
    });
    work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-helper-test-'));
  });

  afterAll(async () => {
    await daemon?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('exposes a usable descriptor', () => {
    expect(daemon.host).toBe('127.0.0.1');
    expect(daemon.port).toBeGreaterThan(0);
    expect(daemon.user).toBe('backup');
    expect(daemon.password).toMatch(/^[0-9a-f]{32}$/);
    expect(daemon.moduleName).toBe('data');
    expect(Object.keys(daemon.modulePaths)).toEqual(['data', 'other']);
    expect(daemon.url()).toBe(`rsync://backup@127.0.0.1:${daemon.port}/data`);
    expect(daemon.url('other', '/sub/dir/')).toBe(`rsync://backup@127.0.0.1:${daemon.port}/other/sub/dir/`);
  });

  it('accepts a push with the right password (env and --password-file)', async () => {
    const file = path.join(work, 'hello.txt');
    await writeFile(file, 'hello daemon\n');
    const r = await push(file, daemon.url(undefined, ''), daemon.password);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readFile(path.join(daemon.modulePath, 'hello.txt'), 'utf8')).toBe('hello daemon\n');

    const r2 = await execa(
      'rsync',
      ['-a', `--password-file=${daemon.passwordFile}`, file, daemon.url('data', 'via-file.txt')],
      { env: { RSYNC_PASSWORD: '' }, reject: false },
    );
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(await readFile(path.join(daemon.modulePath, 'via-file.txt'), 'utf8')).toBe('hello daemon\n');
  });

  it('rejects a wrong password with exit code 5', async () => {
    const file = path.join(work, 'hello.txt');
    const r = await push(file, daemon.url(undefined, ''), 'not-the-password');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/auth failed/);
  });

  it('honours read-only modules and setReadOnly() without a restart', async () => {
    const file = path.join(work, 'hello.txt');
    const before = daemon.port;
    const denied = await push(file, daemon.url('other', ''), daemon.password);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/read only/i);

    await daemon.setReadOnly('other', false);
    const ok = await push(file, daemon.url('other', ''), daemon.password);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(await readFile(path.join(daemon.modulePaths['other']!, 'hello.txt'), 'utf8')).toBe(
      'hello daemon\n',
    );

    await daemon.setReadOnly('other', true);
    const deniedAgain = await push(file, daemon.url('other', ''), daemon.password);
    expect(deniedAgain.exitCode).not.toBe(0);
    expect(daemon.port).toBe(before);
    expect(daemon.running).toBe(true);
  });

  it('simulates an outage: stop() -> exit 10, start() -> same port works again', async () => {
    const file = path.join(work, 'hello.txt');
    const port = daemon.port;
    await daemon.stop();
    expect(daemon.running).toBe(false);
    const down = await push(file, daemon.url(undefined, 'down.txt'), daemon.password);
    expect(down.exitCode).toBe(10);

    await daemon.start();
    expect(daemon.running).toBe(true);
    expect(daemon.port).toBe(port);
    const up = await push(file, daemon.url(undefined, 'up.txt'), daemon.password);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await readFile(path.join(daemon.modulePath, 'up.txt'), 'utf8')).toBe('hello daemon\n');
    expect(await daemon.readLog()).toMatch(/rsyncd version .* starting/);
  });

  it('stop({ signal: SIGKILL }) simulates a crash; start() recovers', async () => {
    const file = path.join(work, 'hello.txt');
    await daemon.stop({ signal: 'SIGKILL' });
    expect(daemon.running).toBe(false);
    expect((await push(file, daemon.url(undefined, 'x.txt'), daemon.password)).exitCode).toBe(10);
    await daemon.start();
    const up = await push(file, daemon.url(undefined, 'after-crash.txt'), daemon.password);
    expect(up.exitCode, up.stderr).toBe(0);
  });

  it('fails clearly when a fixed port is taken by someone else', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startRsyncDaemon({ port, startTimeoutMs: 1_000 })).rejects.toThrow(
        /failed to start on 127\.0\.0\.1:\d+[\s\S]*(bind|in use)/i,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('two daemons get distinct ports and a fixed port can be requested', async () => {
    const a = await startRsyncDaemon({ user: 'alice', password: 'secret' });
    try {
      expect(a.port).not.toBe(daemon.port);
      const port = a.port;
      await a.stop();
      const b = await startRsyncDaemon({ port });
      try {
        expect(b.port).toBe(port);
        expect(b.running).toBe(true);
      } finally {
        await b.dispose();
      }
    } finally {
      await a.dispose();
    }
  });

  it('supports custom module path, refuse options and extra parameters', async () => {
    const modDir = path.join(work, 'custom-module');
    const d = await startRsyncDaemon({
      modules: [{ name: 'strict', path: modDir, refuseOptions: 'delete', extra: { 'max connections': '4' } }],
    });
    try {
      expect(d.modulePath).toBe(modDir);
      const file = path.join(work, 'hello.txt');
      const refused = await push(file, d.url(), d.password, ['--delete']);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toMatch(/refus|not allowed/i);
      const ok = await push(file, d.url(), d.password);
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(await readFile(path.join(modDir, 'hello.txt'), 'utf8')).toBe('hello daemon\n');
    } finally {
      await d.dispose();
    }
    // dispose() never deletes a caller-supplied module path
    expect(await readFile(path.join(modDir, 'hello.txt'), 'utf8')).toBe('hello daemon\n');
    await expect(startRsyncDaemon({ modules: [{ name: 'bad name' }] })).rejects.toThrow(
      /invalid module name/,
    );
  });

  it('manifests match byte-exactly across a pushed tree with awkward names', async () => {
    const src = path.join(work, 'tree');
    await mkdir(path.join(src, 'sub dir', 'deeper'), { recursive: true });
    await writeFile(path.join(src, 'with space.txt'), 'space\n');
    await writeFile(path.join(src, '#x'), 'hash\n');
    await writeFile(path.join(src, 'new\nline'), 'newline\n');
    // Name with a raw 0xff byte (not valid UTF-8): build the path as a Buffer.
    await writeFile(
      Buffer.concat([Buffer.from(`${src}/sub dir/bad-`), Buffer.from([0xff]), Buffer.from('.bin')]),
      'ff',
    );
    await writeFile(path.join(src, 'sub dir', 'deeper', 'big.bin'), Buffer.alloc(300_000, 7));
    await symlink('../with space.txt', path.join(src, 'sub dir', 'link'));
    await writeFile(path.join(src, 'private'), 'secret\n');
    await chmod(path.join(src, 'private'), 0o600);

    const m = await manifest(src);
    const badKey = `sub dir/bad-${String.fromCharCode(0xff)}.bin`;
    expect(m.get(badKey)).toMatchObject({ type: 'file', size: 2 });
    expect(m.get('new\nline')?.type).toBe('file');
    expect(m.get('#x')?.type).toBe('file');
    expect(m.get('sub dir/link')).toMatchObject({ type: 'symlink', target: '../with space.txt' });
    expect(m.get('private')?.mode).toBe(0o600);
    expect(m.get('sub dir')?.type).toBe('dir');
    expect(m.has('')).toBe(false);

    const dest = daemon.url(undefined, 'tree/');
    const r = await push(`${src}/`, dest, daemon.password);
    expect(r.exitCode, r.stderr).toBe(0);
    const dst = path.join(daemon.modulePath, 'tree');
    await waitForConverge(src, dst, { timeoutMs: 5_000 });
    expect(diffManifests(m, await manifest(dst))).toEqual([]);

    // ignore() skips entries (and whole subtrees for dirs)
    const ignored = await manifest(src, { ignore: (rel) => rel === 'sub dir' });
    expect([...ignored.keys()].some((k) => k.startsWith('sub dir'))).toBe(false);
  });

  it('diffManifests reports differing, missing and extra entries', async () => {
    const src = path.join(work, 'tree');
    const dst = path.join(daemon.modulePath, 'tree');
    await writeFile(path.join(dst, 'with space.txt'), 'SPACE\n'); // same size, different bytes
    await chmod(path.join(dst, 'private'), 0o644);
    await rm(path.join(dst, '#x'));
    await writeFile(Buffer.concat([Buffer.from(`${dst}/extra-`), Buffer.from([0xfe])]), 'x');

    const diffs = diffManifests(await manifest(src), await manifest(dst));
    expect(diffs).toContainEqual(expect.stringMatching(/^differs: "with space.txt": sha256 /));
    expect(diffs).toContainEqual('differs: "private": mode 600 != 644');
    expect(diffs).toContainEqual('missing on target: "#x" (file)');
    expect(diffs).toContainEqual('extra on target: "extra-\\xfe" (not UTF-8) (file)');
    expect(diffManifests(await manifest(src), await manifest(dst), 1)).toHaveLength(2);

    await expect(waitForConverge(src, dst, { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(
      /did not converge[\s\S]*with space\.txt/,
    );
  });
});
