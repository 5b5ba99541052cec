// End to end, bad configuration and bad input: hosts that cannot be reached, malformed target URLs, source
// files and directories that cannot be read, files that vanish while rsync sends them, and names at the
// filesystem's limits. Each gets a clear error naming the thing and what to do, and nothing else stops.
// Everything stays on 127.0.0.1 (the `.invalid` name never resolves: RFC 6761).
import { execa } from 'execa';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../electron/shared/state.js';
import { waitForConverge } from '../helpers/manifest.js';
import { pickFreePort, startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function folder(): Promise<string> {
  const dir = await tempDir();
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function daemon(): Promise<RsyncDaemon> {
  const d = await startRsyncDaemon({ socketNodelay: true });
  cleanups.push(() => d.dispose());
  return d;
}

async function harness(config: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(config);
  cleanups.push(() => h.stop());
  return h;
}

const targetOf = (h: Harness, id: string) => h.engine.state().pairs[0]?.targets.find((t) => t.id === id);

/** The next batch-end matching `match`; rejects after `timeoutMs`, naming the scenario that did not happen. */
function nextBatch(h: Harness, what: string, match: (b: BatchSummary) => boolean, timeoutMs = 20_000) {
  return new Promise<BatchSummary>((resolve, reject) => {
    const timer = setTimeout(() => {
      h.engine.off('batch-end', listener);
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (b: BatchSummary): void => {
      if (!match(b)) return;
      clearTimeout(timer);
      h.engine.off('batch-end', listener);
      resolve(b);
    };
    h.engine.on('batch-end', listener);
  });
}

describe('unreachable targets', () => {
  it('a host that does not resolve, a port nobody listens on, a server hanging up before its greeting: each named and retried; the other target syncs', async () => {
    const src = await folder();
    const good = await folder();
    const port = await pickFreePort();
    // Accepts and closes at once, as a daemon does that dies (or a link that drops) during the handshake.
    const hangUp = net.createServer((socket) => socket.resume().end());
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => hangUp.close(resolve)));
    const hangUpPort = (hangUp.address() as net.AddressInfo).port;
    await fs.writeFile(path.join(src, 'f.txt'), 'x');
    const h = await harness(
      pairConfig(
        {
          folder: src,
          targets: [
            { id: 'dns', url: 'rsync://backup@nonexistent.invalid/m' },
            { id: 'closed', url: `rsync://backup@127.0.0.1:${port}/data` },
            { id: 'hangup', url: `rsync://backup@127.0.0.1:${hangUpPort}/data` },
            { id: 'good', url: good },
          ],
        },
        { hangup: 'password' },
      ),
    );
    await waitForConverge(src, good);
    await eventually(() => {
      expect(targetOf(h, 'dns')?.error?.kind).toBe('unreachable');
      expect(targetOf(h, 'closed')?.error?.kind).toBe('connection-refused');
      expect(targetOf(h, 'hangup')?.error?.kind).toBe('connection-lost');
    });
    const expected: Record<string, string | RegExp> = {
      dns: /^nonexistent\.invalid::m is unreachable \(rsync said: .*nonexistent\.invalid.*\): check the host name and the network; retrying$/,
      closed: `connection refused by 127.0.0.1:${port}::data: is the rsync daemon running and listening on that port? Retrying`,
      hangup: `the connection to 127.0.0.1:${hangUpPort}::data broke while starting the session (rsync said: rsync: did not see server greeting); retrying`,
    };
    for (const [id, message] of Object.entries(expected)) {
      const t = targetOf(h, id);
      expect(t?.status, id).toBe('error');
      expect(t?.error?.class, id).toBe('transient');
      expect(t?.error?.nextRetryAt, id).not.toBeNull();
      if (typeof message === 'string') expect(t?.error?.message, id).toBe(message);
      else expect(t?.error?.message, id).toMatch(message);
    }
    // All keep being retried, and a later change still reaches the good target at once.
    await eventually(() => {
      for (const id of Object.keys(expected))
        expect(targetOf(h, id)?.error?.attempts, id).toBeGreaterThanOrEqual(2);
    }, 10_000);
    await fs.writeFile(path.join(src, 'later.txt'), 'later');
    await waitForConverge(src, good, { timeoutMs: 5_000 });
    expect(targetOf(h, 'good')?.error).toBeNull();
  });
});

describe('malformed targets', () => {
  const syntax = 'rsync://[user@]host[:port]/module[/path]';
  const cases: [string, string][] = [
    ['rsync://127.0.0.1', `target rsync://127.0.0.1 is not a valid rsync daemon URL: use ${syntax}`],
    [
      'rsync://127.0.0.1:/data',
      `target rsync://127.0.0.1:/data is not a valid rsync daemon URL: use ${syntax}`,
    ],
    ['rsync://bad host/data', `target rsync://bad host/data is not a valid rsync daemon URL: use ${syntax}`],
    [
      'rsync://backup@127.0.0.1:70000/data',
      'target rsync://backup@127.0.0.1:70000/data: port 70000 is out of range (1-65535)',
    ],
    [
      'rsync://127.0.0.1/my module',
      'target rsync://127.0.0.1/my module: module name "my module" is not valid',
    ],
    [
      '127.0.0.1::',
      `target 127.0.0.1:: is not understood: use ${syntax}, [user@]host::module[/path], [user@]host:path or an absolute local directory`,
    ],
    [
      'backup/relative',
      `target backup/relative is not understood: use ${syntax}, [user@]host::module[/path], [user@]host:path or an absolute local directory`,
    ],
    [
      'ftp://127.0.0.1/x',
      `target ftp://127.0.0.1/x: "ftp:/" URLs are not supported; use ${syntax}, [user@]host::module[/path], [user@]host:path (ssh) or an absolute local directory`,
    ],
    [
      'rsync:/127.0.0.1/data',
      `target rsync:/127.0.0.1/data: "rsync:/" URLs are not supported (rsync URLs start with two slashes: rsync://); use ${syntax}, [user@]host::module[/path], [user@]host:path (ssh) or an absolute local directory`,
    ],
  ];

  it('each is stopped with a bad-config error naming the syntax; a good target of the same pair syncs', async () => {
    const src = await folder();
    const good = await folder();
    const h = await harness(
      pairConfig({
        folder: src,
        targets: [...cases.map(([url], i) => ({ id: `bad${i}`, url })), { id: 'good', url: good }],
      }),
    );
    cases.forEach(([url, message], i) => {
      const t = targetOf(h, `bad${i}`);
      expect(t?.url, url).toBe(url);
      expect(t?.status, url).toBe('stopped');
      expect(t?.error?.kind, url).toBe('bad-config');
      expect(t?.error?.class, url).toBe('config');
      expect(t?.error?.nextRetryAt, url).toBeNull();
      expect(t?.error?.message, url).toBe(message);
      expect(
        h.failures.some((f) => f.targetId === `bad${i}` && f.error.message === message),
        url,
      ).toBe(true);
    });
    expect(h.engine.state().pairs[0]?.status).toBe('error');
    await fs.mkdir(path.join(src, 'd'));
    await fs.writeFile(path.join(src, 'd/f.txt'), 'still synced');
    await waitForConverge(src, good);
    expect(targetOf(h, 'good')?.error).toBeNull();
    // No rsync ever ran for a malformed target, not even the start-up full sync.
    await h.engine.whenIdle();
    expect(h.batches.filter((b) => b.targetId !== 'good')).toEqual([]);
  });

  it('the CLI: a malformed target, an empty one and a bad option exit 2 naming the syntax, with usage', async () => {
    const src = await folder();
    // No rsync may run for these command lines: a stub first on PATH records any that does.
    const stubDir = await folder();
    const calls = path.join(stubDir, 'calls');
    await fs.writeFile(path.join(stubDir, 'rsync'), `#!/bin/sh\necho "$*" >> '${calls}'\nexit 1\n`, {
      mode: 0o755,
    });
    const env = { PATH: `${stubDir}:${process.env['PATH'] ?? ''}` };
    const malformed = await execa('node', [BIN, 'watch', src, 'rsync://127.0.0.1', '--once'], {
      reject: false,
      env,
    });
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stdout).not.toMatch(/full sync/);
    expect(malformed.stderr).toContain(
      `rsync-live: target rsync://127.0.0.1 is not a valid rsync daemon URL: use ${syntax}`,
    );

    const empty = await execa('node', [BIN, 'watch', src, '', '--once'], { reject: false, env });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/^rsync-live: target 1: give a target/);
    expect(empty.stderr).toMatch(/Usage:/);
    const option = await execa('node', [BIN, 'watch', src, '/tmp/x', '--bwlimit', 'fast'], {
      reject: false,
      env,
    });
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toMatch(/^rsync-live: --bwlimit takes a whole number of KiB\/s, got "fast"/);
    await expect(fs.readFile(calls, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});

describe('unreadable source entries', () => {
  type RunAs = { uid?: number; gid?: number };

  /**
   * root reads everything, so the CLI runs as `nobody` when the tests run as root (files made unreadable are
   * root's, mode 0600/0700), and as the current user otherwise (mode 0000 then).
   */
  async function unprivileged(): Promise<{ options: RunAs; chownTo: [number, number] | null }> {
    if (process.getuid?.() !== 0) return { options: {}, chownTo: null };
    const uid = Number((await execa('id', ['-u', 'nobody'])).stdout);
    const gid = Number((await execa('id', ['-g', 'nobody'])).stdout);
    return { options: { uid, gid }, chownTo: [uid, gid] };
  }

  async function setup(): Promise<{
    src: string;
    dest: string;
    state: string;
    options: RunAs;
    root: boolean;
  }> {
    const { options, chownTo } = await unprivileged();
    const base = await folder();
    await fs.chmod(base, 0o755);
    const src = path.join(base, 'src');
    const dest = path.join(base, 'dest');
    const state = path.join(base, 'state');
    await fs.mkdir(path.join(src, 'sub'), { recursive: true, mode: 0o755 });
    for (const dir of [dest, state]) {
      await fs.mkdir(dir, { mode: 0o755 });
      if (chownTo) await fs.chown(dir, ...chownTo);
    }
    await fs.writeFile(path.join(src, 'a.txt'), 'readable', { mode: 0o644 });
    await fs.writeFile(path.join(src, 'sub/b.txt'), 'readable too', { mode: 0o644 });
    // The command must be runnable by that user at all (a world-readable checkout).
    const probe = await execa('node', [BIN, '--help'], { reject: false, ...options });
    expect(probe.exitCode, `${BIN} must be runnable as an unprivileged user: ${probe.stderr}`).toBe(0);
    return { src, dest, state, options, root: chownTo !== null };
  }

  const once = (src: string, dest: string, options: RunAs) =>
    execa('node', [BIN, 'watch', src, dest, '--once'], { reject: false, ...options, env: { LC_ALL: 'C' } });

  it('a file that cannot be read: exit 23, its path and "Permission denied" in the message, the rest copied', async () => {
    const { src, dest, options, root } = await setup();
    const secret = path.join(src, 'secret.txt');
    await fs.writeFile(secret, 'private');
    await fs.chmod(secret, root ? 0o600 : 0o000);
    const result = await once(src, dest, options);
    expect(result.exitCode, result.stderr).toBe(23);
    expect(result.stderr).toContain(
      `error: [watch] some files could not be read or written for ${dest} (rsync said: `,
    );
    expect(result.stderr).toContain(`"${secret}": Permission denied`);
    expect(result.stderr).toContain('): fix their permissions; the rest was sent');
    expect(await fs.readFile(path.join(dest, 'a.txt'), 'utf8')).toBe('readable');
    expect(await fs.readFile(path.join(dest, 'sub/b.txt'), 'utf8')).toBe('readable too');
    await expect(fs.access(path.join(dest, 'secret.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('a directory that cannot be listed: exit 23, its path in the message, its siblings copied', async () => {
    const { src, dest, options, root } = await setup();
    const closed = path.join(src, 'closed');
    await fs.mkdir(closed);
    await fs.writeFile(path.join(closed, 'inside.txt'), 'private');
    await fs.chmod(closed, root ? 0o700 : 0o000);
    cleanups.push(() => fs.chmod(closed, 0o755));
    const result = await once(src, dest, options);
    expect(result.exitCode, result.stderr).toBe(23);
    expect(result.stderr).toContain(`some files could not be read or written for ${dest}`);
    expect(result.stderr).toContain(`"${closed}" failed: Permission denied`);
    expect(result.stderr).toContain('fix their permissions; the rest was sent');
    expect(await fs.readFile(path.join(dest, 'a.txt'), 'utf8')).toBe('readable');
    expect(await fs.readFile(path.join(dest, 'sub/b.txt'), 'utf8')).toBe('readable too');
    await expect(fs.access(path.join(dest, 'closed/inside.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('while a file stays unreadable, changes to the others keep arriving at once; it follows when readable', async () => {
    const { src, dest, state, options, root } = await setup();
    const secret = path.join(src, 'secret.txt');
    await fs.writeFile(secret, 'private');
    await fs.chmod(secret, root ? 0o600 : 0o000);
    const child = execa('node', [BIN, 'watch', src, dest, '--state-dir', state], {
      reject: false,
      all: true,
      forceKillAfterDelay: 15_000,
      ...options,
      env: { LC_ALL: 'C' },
    });
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await child;
    });
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => expect(output).toContain(`"${secret}": Permission denied`), 15_000);
    expect(output).toContain('fix their permissions; the rest was sent');
    expect(await fs.readFile(path.join(dest, 'a.txt'), 'utf8')).toBe('readable');

    // A change elsewhere goes out as it happens, not at the next retry of the failed full sync.
    for (const name of ['new-1.txt', 'new-2.txt']) {
      await fs.writeFile(path.join(src, name), name, { mode: 0o644 });
      await eventually(
        async () => expect(await fs.readFile(path.join(dest, name), 'utf8')).toBe(name),
        3_000,
      );
    }
    await fs.chmod(secret, 0o644);
    await eventually(
      async () => expect(await fs.readFile(path.join(dest, 'secret.txt'), 'utf8')).toBe('private'),
      30_000,
    );
    await eventually(() => expect(output).toContain(`${dest}: back in sync`));
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, `stopped by ${result.signal ?? 'itself'}; output:\n${output}`).toBe(0);
  }, 60_000);
});

describe('files that vanish while rsync sends them', () => {
  const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(4, '0')}`;
  const FILES = 300;

  it('exit 24 in a full sync and in a batch is re-checked at once: no error, and the target converges', async () => {
    const src = await folder();
    const dest = await folder();
    for (let i = 0; i < FILES; i++) await fs.writeFile(path.join(src, name('f', i)), Buffer.alloc(4096, i));
    // One run at a time, slowed down (300 x 4 KiB at 400 KiB/s: ~3 s), so files can vanish mid-run.
    const h = await harness(
      pairConfig({
        folder: src,
        targets: [{ id: 'a', url: dest, concurrency: 1 }],
        rsync: { bwlimitKiB: 400 },
        fullSync: { onStart: false, schedule: null, excludes: [] },
      }),
    );
    // Once rsync has sent the first of them (its file list is built), the second half is deleted.
    const vanishAfterFirstFile = (prefix: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const onFile = (f: { path: string; deleted: boolean }): void => {
          if (f.deleted || !f.path.startsWith(prefix)) return;
          h.engine.off('file', onFile);
          (async () => {
            for (let i = FILES / 2; i < FILES; i++) await fs.rm(path.join(src, name(prefix, i)));
          })().then(resolve, reject);
        };
        h.engine.on('file', onFile);
      });

    // A full sync: its file list is built, then half the files are deleted before they are sent.
    let vanished = vanishAfterFirstFile('f');
    let exit24 = nextBatch(h, 'run exiting 24', (b) => b.exitCode === 24);
    h.engine.fullSync('p');
    await vanished;
    expect((await exit24).kind).toBe('full');
    await waitForConverge(src, dest, { timeoutMs: 20_000 });
    await h.engine.whenIdle();
    await eventually(() => expect(targetOf(h, 'a')?.status).toBe('idle'));

    // A batch of live changes: the same, through the per-path re-check. The target is paused while they are
    // written, so all of them leave in one run.
    h.engine.pause('p');
    for (let i = 0; i < FILES; i++) await fs.writeFile(path.join(src, name('g', i)), Buffer.alloc(4096, i));
    await eventually(() => expect(targetOf(h, 'a')?.queued).toBe(FILES));
    vanished = vanishAfterFirstFile('g');
    exit24 = nextBatch(h, 'run exiting 24', (b) => b.exitCode === 24);
    h.engine.resume('p');
    await vanished;
    expect((await exit24).kind).toBe('paths');
    await waitForConverge(src, dest, { timeoutMs: 20_000 });
    await eventually(() => expect(targetOf(h, 'a')?.status).toBe('idle'));

    expect(targetOf(h, 'a')?.error).toBeNull();
    expect(h.failures).toEqual([]);
  }, 60_000);
});

describe('a file that shrinks while rsync reads it', () => {
  it('exit 23 "read errors mapping … No data available": sent again at once, no error, the target converges', async () => {
    const src = await folder();
    const dest = await folder();
    const h = await harness(
      pairConfig({
        folder: src,
        targets: [{ id: 'a', url: dest, concurrency: 1 }],
        // 8 MiB at 2 MiB/s: rsync reads the file as it sends it, over ~4 s.
        rsync: { bwlimitKiB: 2048 },
        fullSync: { onStart: false, schedule: null, excludes: [] },
      }),
    );
    const file = path.join(src, 'growing log.bin');
    const shrunk = new Promise<void>((resolve, reject) => {
      const onProgress = (p: { file: string; bytes: number }): void => {
        if (p.file !== 'growing log.bin' || p.bytes < 1024 * 1024) return;
        h.engine.off('progress', onProgress);
        // Cut to 512 KiB while rsync is past its first MiB: its next read finds the end of the file.
        fs.truncate(file, 512 * 1024).then(resolve, reject);
      };
      h.engine.on('progress', onProgress);
    });
    const exit23 = nextBatch(h, 'run exiting 23', (b) => b.exitCode === 23);
    await fs.writeFile(file, Buffer.alloc(8 * 1024 * 1024, 7));
    await shrunk;
    const failed = await exit23;
    expect(failed.error?.message ?? null).toBeNull();
    await waitForConverge(src, dest, { timeoutMs: 30_000 });
    await h.engine.whenIdle();
    await eventually(() => expect(targetOf(h, 'a')?.status).toBe('idle'));
    expect((await fs.stat(path.join(dest, 'growing log.bin'))).size).toBe(512 * 1024);
    expect(targetOf(h, 'a')?.error).toBeNull();
    expect(h.failures).toEqual([]);
  }, 60_000);
});

describe('names at the limits', () => {
  it('255-byte names and a 4,000-byte path replicate to a daemon and to a local directory, live and at start-up', async () => {
    const d = await daemon();
    const src = await folder();
    const local = await folder();
    const ascii = 'n'.repeat(255);
    const utf8 = `${'é'.repeat(127)}x`;
    expect(Buffer.byteLength(utf8)).toBe(255);
    await fs.writeFile(path.join(src, ascii), 'before the start');
    const h = await harness(
      pairConfig(
        {
          folder: src,
          targets: [
            { id: 'daemon', url: d.url() },
            { id: 'local', url: local },
          ],
        },
        { daemon: d.password },
      ),
    );
    await waitForConverge(src, d.modulePath);
    await waitForConverge(src, local);

    // Live: a 255-byte UTF-8 name, and 19 nested 200-byte directories with a file: a 4,000-byte path.
    await fs.writeFile(path.join(src, utf8), 'written live');
    const dirs = Array.from({ length: 19 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(198)}`).join(
      '/',
    );
    const deep = `${dirs}/${'f'.repeat(4000 - dirs.length - 1)}`;
    expect(Buffer.byteLength(deep)).toBe(4000);
    await fs.mkdir(path.join(src, dirs), { recursive: true });
    await fs.writeFile(path.join(src, deep), 'deep');
    await waitForConverge(src, d.modulePath);
    await waitForConverge(src, local);
    expect(await fs.readFile(path.join(local, deep), 'utf8')).toBe('deep');

    // Changes and deletions at those lengths.
    await fs.writeFile(path.join(src, deep), 'deep, rewritten');
    await fs.rename(path.join(src, ascii), path.join(src, 'm'.repeat(255)));
    await fs.rm(path.join(src, utf8));
    await waitForConverge(src, d.modulePath);
    await waitForConverge(src, local);
    await fs.rm(path.join(src, '00' + 'd'.repeat(198)), { recursive: true });
    await waitForConverge(src, d.modulePath);
    await waitForConverge(src, local);
    expect(h.failures).toEqual([]);
  });
});

describe('a file that cannot be read amid a batch', () => {
  it('only that file is retried, not the whole batch; it follows once readable', async () => {
    const base = await folder();
    await fs.chmod(base, 0o755);
    const [src, dest] = [path.join(base, 'src'), path.join(base, 'dest')];
    await fs.mkdir(src, { mode: 0o755 });
    await fs.mkdir(dest, { mode: 0o755 });
    let rsync = 'rsync';
    const root = process.getuid?.() === 0;
    if (root) {
      // root reads everything: the engine's rsync runs as nobody, for whom a root file of mode 0600 is unreadable.
      const nobody = Number((await execa('id', ['-u', 'nobody'])).stdout);
      const nogroup = Number((await execa('id', ['-g', 'nobody'])).stdout);
      await fs.chown(dest, nobody, nogroup);
      rsync = path.join(base, 'rsync-as-nobody');
      await fs.writeFile(
        rsync,
        `#!/bin/sh\nexec setpriv --reuid=${nobody} --regid=${nogroup} --clear-groups rsync "$@"\n`,
        { mode: 0o755 },
      );
    }
    const { Engine } = await import('../../electron/engine/index.js');
    const engine = new Engine({ rsync, burstVerifyPaths: 0 });
    cleanups.push(() => engine.stop());
    const batches: BatchSummary[] = [];
    engine.on('batch-end', (b) => batches.push(b));
    await engine.addPair(pairConfig({ folder: src, targets: [{ url: dest }] }));
    await engine.whenIdle();

    // 40 readable files and an unreadable one arrive together: a directory moved into the folder.
    const incoming = path.join(base, 'incoming');
    await fs.mkdir(incoming, { mode: 0o755 });
    for (let i = 0; i < 40; i++) await fs.writeFile(path.join(incoming, `f${i}`), `${i}`, { mode: 0o644 });
    await fs.writeFile(path.join(incoming, 'secret'), 'private', { mode: root ? 0o600 : 0o000 });
    await fs.rename(incoming, path.join(src, 'in'));

    await eventually(() => expect(batches.some((b) => b.exitCode === 23)).toBe(true));
    const failed = batches.find((b) => b.exitCode === 23) as BatchSummary;
    // The new directory arrives as one recursive run (fresh-dirs.ts), or as a batch of its paths.
    expect(failed.kind === 'tree' || failed.paths > 1).toBe(true);
    // The retry in the background lists the unreadable file alone.
    await eventually(
      () =>
        expect(batches.filter((b) => b.runId > failed.runId && b.exitCode === 23).length).toBeGreaterThan(0),
      10_000,
    );
    const retries = batches.filter((b) => b.runId > failed.runId && b.exitCode === 23);
    expect(retries.map((b) => [b.kind, b.paths])).toEqual(retries.map(() => ['paths', 1]));
    expect(await fs.readFile(path.join(dest, 'in/f39'), 'utf8')).toBe('39');

    await fs.chmod(path.join(src, 'in/secret'), 0o644);
    await eventually(
      async () => expect(await fs.readFile(path.join(dest, 'in/secret'), 'utf8')).toBe('private'),
      30_000,
    );
    await waitForConverge(src, dest);
  }, 60_000);
});
