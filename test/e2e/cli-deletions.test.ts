// End to end through the built command line: deletions the user did not make never happen without consent.
// A first `--once` into a module holding other data deletes nothing and lists it (exit 3); --keep-existing
// keeps it for good, --confirm-deletions mirrors; a tripped guard is honoured by --once, shown by
// `rsync-live deletions`, and answered without a restart by `rsync-live confirm-deletions`.
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');

describe('rsync-live CLI and deletions it was not asked for', () => {
  let daemon: RsyncDaemon;
  let work: string;
  const cli = (args: string[]) =>
    execa('node', [BIN, ...args], { reject: false, all: true, env: { RSYNC_PASSWORD: daemon.password } });

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    work = await tempDir();
  });
  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(work, { recursive: true, force: true });
  });

  /** A folder with one file, and a module sub-path that already holds another machine's backup. */
  const prepare = async (name: string) => {
    const folder = path.join(work, name);
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'mine.txt'), 'ours');
    const module = path.join(daemon.modulePath, name);
    await fs.mkdir(path.join(module, 'other-laptop'), { recursive: true });
    for (let i = 0; i < 5; i++) await fs.writeFile(path.join(module, 'other-laptop', `f${i}`), 'theirs');
    return { folder, module, url: daemon.url(undefined, name), stateDir: path.join(work, `${name}-state`) };
  };

  it('a first --once into a module holding other data deletes nothing, lists it and exits 3', async () => {
    const { folder, module, url, stateDir } = await prepare('ask');
    const result = await cli(['watch', folder, url, '--once', '--state-dir', stateDir]);
    expect(result.exitCode, result.all).toBe(3);
    expect(result.stdout).toMatch(/full sync: 1 file sent .*0 deleted/);
    expect(result.stderr).toMatch(/already holds 6 entries that are not in .*nothing was deleted/);
    expect(result.stderr).toMatch(/--confirm-deletions \(mirror\) or --keep-existing \(keep\)/);
    expect(result.stderr).toContain('  other-laptop/');
    expect((await fs.readdir(path.join(module, 'other-laptop'))).length).toBe(5);
    // Asked again, the same answer: nothing is deleted until the user chooses.
    const again = await cli(['watch', folder, url, '--once', '--state-dir', stateDir]);
    expect(again.exitCode, again.all).toBe(3);
    const mirrored = await cli([
      'watch',
      folder,
      url,
      '--once',
      '--state-dir',
      stateDir,
      '--confirm-deletions',
    ]);
    expect(mirrored.exitCode, mirrored.all).toBe(0);
    await waitForConverge(folder, module);
  });

  it('--keep-existing keeps it for good', async () => {
    const { folder, module, url, stateDir } = await prepare('keep');
    const kept = await cli(['watch', folder, url, '--once', '--state-dir', stateDir, '--keep-existing']);
    expect(kept.exitCode, kept.all).toBe(0);
    await fs.writeFile(path.join(folder, 'second.txt'), '2');
    const later = await cli(['watch', folder, url, '--once', '--state-dir', stateDir]);
    expect(later.exitCode, later.all).toBe(0);
    expect((await fs.readdir(module)).sort()).toEqual(['mine.txt', 'other-laptop', 'second.txt']);
    expect((await fs.readdir(path.join(module, 'other-laptop'))).length).toBe(5);
  });

  it('run --config JSON: exit 3 and nothing deleted until --confirm-deletions (mirror) or --keep-existing', async () => {
    const config = async (name: string) => {
      const { folder, module, url, stateDir } = await prepare(name);
      const file = path.join(work, `${name}.json`);
      const pair = { id: name, folder, targets: [{ id: 'nas', url, passwordFile: daemon.passwordFile }] };
      await fs.writeFile(file, JSON.stringify({ version: 1, pairs: [pair] }));
      return {
        module,
        run: (...extra: string[]) =>
          cli(['run', '--config', file, '--once', '--state-dir', stateDir, ...extra]),
      };
    };
    const mirror = await config('json-mirror');
    const asked = await mirror.run();
    expect(asked.exitCode, asked.all).toBe(3);
    expect(asked.stderr).toMatch(/already holds 6 entries that are not in .*nothing was deleted/);
    expect((await fs.readdir(path.join(mirror.module, 'other-laptop'))).length).toBe(5);
    const confirmed = await mirror.run('--confirm-deletions');
    expect(confirmed.exitCode, confirmed.all).toBe(0);
    expect(await fs.readdir(mirror.module)).toEqual(['mine.txt']);

    const keep = await config('json-keep');
    const kept = await keep.run('--keep-existing');
    expect(kept.exitCode, kept.all).toBe(0);
    expect((await fs.readdir(keep.module)).sort()).toEqual(['mine.txt', 'other-laptop']);
    expect((await fs.readdir(path.join(keep.module, 'other-laptop'))).length).toBe(5);
  });

  it('serve --config: deletes nothing on a target holding other data until started with --confirm-deletions', async () => {
    const dir = path.join(work, 'serve');
    const folder = path.join(dir, 'folder');
    const dest = path.join(dir, 'dest');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'mine.txt'), 'ours');
    await fs.mkdir(path.join(dest, 'other-laptop'), { recursive: true });
    await fs.writeFile(path.join(dest, 'other-laptop', 'theirs.txt'), 'theirs');
    const config = path.join(dir, 'config.json');
    await fs.writeFile(
      config,
      JSON.stringify({ version: 1, pairs: [{ id: 'p', folder, targets: [{ url: dest }] }] }),
    );
    const serve = async (extra: string[], until: (output: string) => Promise<void>) => {
      const child = execa(
        'node',
        [BIN, 'serve', '--config', config, '--listen', '127.0.0.1:0', '--no-open', ...extra],
        { reject: false, all: true },
      );
      let output = '';
      child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        await eventually(() => until(output), 30_000);
      } finally {
        child.kill('SIGTERM');
      }
      const result = await child;
      expect(result.exitCode, output).toBe(0);
    };
    // Asked: the folder is sent, the other data stays, and the message names the flags.
    await serve([], async (output) => {
      expect(output).toMatch(/already holds 2 entries that are not in .*nothing was deleted/);
      expect(output).toMatch(/--confirm-deletions \(mirror\) or --keep-existing \(keep\)/);
      expect(await fs.readdir(dest)).toContain('mine.txt');
    });
    expect((await fs.readdir(dest)).sort()).toEqual(['mine.txt', 'other-laptop']);
    // Restarted with --confirm-deletions: mirrored.
    await serve(['--confirm-deletions'], async () => expect(await fs.readdir(dest)).toEqual(['mine.txt']));
  }, 90_000);

  it('a tripped guard is honoured by --once, shown by `deletions`, and answered by `confirm-deletions`', async () => {
    const folder = path.join(work, 'guarded');
    const module = path.join(daemon.modulePath, 'guarded');
    const stateDir = path.join(work, 'guarded-state');
    await fs.mkdir(folder);
    for (let i = 0; i < 20; i++) await fs.writeFile(path.join(folder, `f${i}`), `${i}`);
    const config = path.join(work, 'guarded.json');
    await fs.writeFile(
      config,
      JSON.stringify({
        version: 1,
        pairs: [
          {
            id: 'guarded',
            folder,
            targets: [{ url: daemon.url(undefined, 'guarded'), passwordFile: daemon.passwordFile }],
            deleteGuard: { enabled: true, maxShare: 0.5, minEntries: 5 },
          },
        ],
      }),
    );
    const run = () =>
      execa('node', [BIN, 'run', '--config', config, '--state-dir', stateDir], {
        reject: false,
        all: true,
        env: { RSYNC_PASSWORD: daemon.password },
      });
    const first = run();
    await waitForConverge(folder, module, { timeoutMs: 30_000 });
    for (let i = 0; i < 15; i++) await fs.rm(path.join(folder, `f${i}`));
    await eventually(async () => {
      const shown = await cli(['deletions', folder, '--state-dir', stateDir]);
      expect(shown.stdout).toMatch(
        /^deletions paused: 15 of 20 entries of .* would be deleted on the backup/,
      );
    }, 30_000);
    const shown = await cli(['deletions', folder, '--state-dir', stateDir]);
    expect(shown.stdout).toMatch(/15 entries held by rsync-live \(pid \d+\)/);
    expect(shown.stdout).toContain('  f0');
    expect(shown.stdout).toContain(`to let them go: rsync-live confirm-deletions ${folder}`);
    first.kill('SIGTERM');
    expect((await first).exitCode).toBe(0);
    expect((await fs.readdir(module)).length).toBe(20);

    // --once remembers the guard: its full sync deletes nothing and says why.
    const once = await execa('node', [BIN, 'run', '--config', config, '--state-dir', stateDir, '--once'], {
      reject: false,
      all: true,
      env: { RSYNC_PASSWORD: daemon.password },
    });
    expect(once.exitCode, once.all).toBe(3);
    expect(once.stderr).toMatch(/held deletions of .*guarded \(15 entries\)/);
    expect((await fs.readdir(module)).length).toBe(20);

    // A running rsync-live is answered without a restart.
    const second = run();
    await eventually(
      async () =>
        expect((await cli(['deletions', folder, '--state-dir', stateDir])).stdout).toMatch(
          /held by rsync-live/,
        ),
      30_000,
    );
    const confirmed = await cli(['confirm-deletions', folder, '--state-dir', stateDir]);
    expect(confirmed.exitCode, confirmed.all).toBe(0);
    expect(confirmed.stdout).toMatch(
      /asked rsync-live \(pid \d+\) to let the held deletions of .* go: 15 entries/,
    );
    await waitForConverge(folder, module, { timeoutMs: 30_000 });
    expect((await cli(['deletions', folder, '--state-dir', stateDir])).stdout).toMatch(
      /^no deletions are held/,
    );
    second.kill('SIGTERM');
    expect((await second).exitCode).toBe(0);
  });
});
