// End to end through the built command line: `rsync-live watch` in real time and with --once, `run --config`
// validation, exit statuses and clean stops on SIGTERM. Run after `npm run build` (npm test does it).
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [BIN, ...args], { reject: false, env, all: true });

describe('rsync-live CLI', () => {
  let daemon: RsyncDaemon;
  let src: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    src = await tempDir();
    await fs.mkdir(path.join(src, 'docs'));
    await fs.writeFile(path.join(src, 'docs/readme.txt'), 'hello');
  });

  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(src, { recursive: true, force: true });
  });

  it('watch --once mirrors the folder and exits 0', async () => {
    const result = await cli([
      'watch',
      src,
      daemon.url(daemon.moduleName, 'once'),
      '--password-file',
      daemon.passwordFile,
      '--once',
    ]);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/full sync: 1 file sent .* ok/);
    await waitForConverge(src, path.join(daemon.modulePath, 'once'));
  });

  it('watch --once with a wrong password exits 5 and says what to do', async () => {
    const result = await cli(['watch', src, daemon.url(), '--once'], { RSYNC_PASSWORD: 'not-the-password' });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain(
      `auth failed for user backup on 127.0.0.1:${daemon.port}::data: check the password`,
    );
    expect(result.all).not.toContain('not-the-password');
  });

  it('watch --once against an unknown module exits 5 naming it', async () => {
    const result = await cli(['watch', src, daemon.url('photoz'), '--once'], {
      RSYNC_PASSWORD: daemon.password,
    });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toMatch(/no module named "photoz"/);
  });

  it('watch mirrors in real time, logs one line per batch, and stops cleanly on SIGTERM', async () => {
    const dest = path.join(daemon.modulePath, 'live');
    const child: ResultPromise = execa(
      'node',
      [BIN, 'watch', src, daemon.url(daemon.moduleName, 'live'), '--password-file', daemon.passwordFile],
      {
        reject: false,
        all: true,
      },
    );
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => expect(output).toMatch(/full sync: .* ok/));
    await fs.writeFile(path.join(src, 'new file.txt'), 'live');
    await waitForConverge(src, dest);
    await eventually(() => expect(output).toMatch(/1 path: 1 file sent \(.*\), 0 deleted, \d+ ms, ok/));
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(output).toContain('received SIGTERM: stopping');
  });

  it('SIGTERM while rsync is sending stops cleanly: the transfer finishes, exit 0', async () => {
    const dir = await tempDir();
    const dest = path.join(daemon.modulePath, 'sigterm');
    const child: ResultPromise = execa(
      'node',
      [
        BIN,
        'watch',
        dir,
        daemon.url(daemon.moduleName, 'sigterm'),
        '--password-file',
        daemon.passwordFile,
        '--bwlimit',
        '128',
      ],
      { reject: false, all: true, forceKillAfterDelay: 20_000 },
    );
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => expect(output).toMatch(/full sync: .* ok/));
    // 384 KiB at 128 KiB/s: rsync is still sending when the signal comes (execa's child clean-up used to
    // re-raise it and kill the process mid-stop).
    await fs.writeFile(path.join(dir, 'slow.bin'), Buffer.alloc(384 << 10, 3));
    await fs.writeFile(path.join(dir, 'slow.bin'), Buffer.alloc(384 << 10, 4));
    await eventually(
      async () => {
        expect((await fs.readdir(dest).catch(() => [])).some((n) => n.startsWith('.slow.bin.'))).toBe(true);
      },
      10_000,
      20,
    );
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, `stopped by ${result.signal ?? 'itself'}; output:\n${output}`).toBe(0);
    expect(output).toContain('received SIGTERM: stopping');
    expect((await fs.readFile(path.join(dest, 'slow.bin')))[0]).toBe(4);
    await fs.rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('after SIGKILL mid-burst, a restart resumes the persisted queue (no start-up sync to hide a loss)', async () => {
    const folder = await tempDir();
    const stateDir = await tempDir();
    const url = daemon.url(daemon.moduleName, 'crash');
    const dest = path.join(daemon.modulePath, 'crash');
    const common = [
      'watch',
      folder,
      url,
      '--password-file',
      daemon.passwordFile,
      '--no-initial-sync',
      '--state-dir',
      stateDir,
    ];
    const first = execa('node', [BIN, ...common, '--bwlimit', '40'], { reject: false, all: true });
    let firstOutput = '';
    first.all?.on('data', (chunk: Buffer) => (firstOutput += chunk.toString()));
    await eventually(() => expect(firstOutput).toMatch(/watching /));
    for (let i = 0; i < 300; i++) await fs.writeFile(path.join(folder, `f${i}`), Buffer.alloc(4096, i % 256));
    await new Promise((r) => setTimeout(r, 1200));
    // A crash: the rsync children die with the CLI (setpriv --pdeathsig). Left alive, an orphaned rsync would go
    // on writing at 40 KiB/s into the module next to the restart.
    const children = (await execa('pgrep', ['-P', String(first.pid)], { reject: false })).stdout
      .split('\n')
      .filter(Boolean)
      .map(Number);
    first.kill('SIGKILL');
    await first;
    await eventually(async () => {
      for (const pid of children) await expect(fs.access(`/proc/${pid}`)).rejects.toThrow(/ENOENT/);
    });
    const sent = await fs.readdir(dest).catch(() => []);
    expect(sent.length).toBeLessThan(300);
    const queueFiles = await fs.readdir(path.join(stateDir, 'queues'));
    expect(queueFiles).toHaveLength(1);

    const second = execa('node', [BIN, ...common], { reject: false, all: true });
    let output = '';
    second.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForConverge(folder, dest, { timeoutMs: 20_000 });
    await eventually(() => expect(output).toMatch(/resuming \d+ unfinished path\(s\) from the last run/));
    second.kill('SIGTERM');
    await second;
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('run --config rejects unknown and wrong fields with their path', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'config.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        version: 1,
        pairs: [{ id: 'p', folder: src, targets: [{ url: daemon.url(), pasword: 'typo' }], delayMs: 'soon' }],
      }),
    );
    const result = await cli(['run', '--config', file, '--once']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/pairs\[0\]\.targets\[0\]: Unrecognized key: "pasword"/);
    expect(result.stderr).toMatch(/pairs\[0\]\.delayMs: Invalid input: expected number/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('run --config runs every pair of a valid file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'config.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        version: 1,
        pairs: [
          {
            id: 'docs',
            folder: src,
            targets: [{ url: daemon.url(daemon.moduleName, 'cfg'), passwordFile: daemon.passwordFile }],
          },
        ],
      }),
    );
    const result = await cli(['run', '--config', file, '--once']);
    expect(result.exitCode, result.all).toBe(0);
    await waitForConverge(src, path.join(daemon.modulePath, 'cfg'));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('run --config gives RSYNC_PASSWORD to targets without a password file, as watch does', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'config.json');
    const pair = { id: 'env', folder: src, targets: [{ url: daemon.url(daemon.moduleName, 'env') }] };
    await fs.writeFile(file, JSON.stringify({ version: 1, pairs: [pair] }));
    const denied = await cli(['run', '--config', file, '--once']);
    expect(denied.exitCode, denied.all).not.toBe(0);
    expect(denied.stderr).toMatch(/auth failed/);
    const result = await cli(['run', '--config', file, '--once'], { RSYNC_PASSWORD: daemon.password });
    expect(result.exitCode, result.all).toBe(0);
    await waitForConverge(src, path.join(daemon.modulePath, 'env'));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('bad usage exits 2 with the usage text', async () => {
    const result = await cli(['watch', src]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/watch needs a folder and at least one target/);
    expect(result.stderr).toMatch(/Usage:/);
    const unknown = await cli(['watch', src, '/tmp/x', '--frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
  });

  it("--help prints the global usage; after a command, that command's usage; both exit 0", async () => {
    for (const args of [
      ['--help'],
      ['watch', '--help'],
      ['run', '-h'],
      ['sersync', '--help'],
      ['serve', '-h'],
    ]) {
      const result = await cli(args);
      expect(result.exitCode, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/Usage:/);
    }
    expect((await cli(['watch', '--help'])).stdout).toMatch(/--delay MS .*\(default 5;/);
    expect((await cli(['sersync', '--help'])).stdout).toMatch(/^Usage: rsync-live sersync /);
  });
});
