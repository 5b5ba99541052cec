// One engine per folder+target across processes (electron/engine/target-lock.ts), through the built
// `bin/rsync-live.js`, an in-process Engine (as serve and the desktop app run it) and a real rsync daemon:
// whichever starts second leaves that target out with an error naming the holder (pid, command); a CLI with
// nothing left to run exits 75; the other pairs run; Retry now takes the lock over once it is free.
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { eventually, pairConfig, tempDir } from '../helpers/engine-harness.js';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/rsync-live.js');

const quote = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('one engine per folder and target, across watch, serve and the desktop engine', () => {
  let daemon: RsyncDaemon;
  let src: string;
  let other: string;
  let home: string;
  let env: Record<string, string>;
  let stateDir: string;
  const cli = (args: string[]) =>
    execa('node', [BIN, ...args], { reject: false, env, all: true, timeout: 60_000 });

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    src = await tempDir();
    other = await tempDir();
    home = await tempDir();
    stateDir = path.join(home, 'state', 'rsync-live');
    env = {
      HOME: home,
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CONFIG_HOME: path.join(home, 'config'),
      RSYNC_PASSWORD: daemon.password,
    };
    await fs.writeFile(path.join(src, 'a.txt'), 'hello');
    await fs.writeFile(path.join(other, 'b.txt'), 'other');
  });

  afterAll(async () => {
    await daemon?.dispose();
    for (const dir of [src, other, home]) await fs.rm(dir, { recursive: true, force: true });
  });

  it('an engine holding a pair: watch of the same folder+target exits 75 naming it', async () => {
    const url = daemon.url(daemon.moduleName, 'held-by-engine');
    const engine = new Engine({ stateDir, lockHolder: 'rsync-live serve --config /x/config.json' });
    try {
      await engine.addPair(pairConfig({ folder: src, targets: [{ url }] }, { t1: daemon.password }));
      await waitForConverge(src, path.join(daemon.modulePath, 'held-by-engine'), { timeoutMs: 30_000 });
      const watch = await cli(['watch', src, url, '--once']);
      expect(watch.exitCode, watch.all).toBe(75);
      expect(watch.stderr).toMatch(
        new RegExp(
          `${quote(`${src} → ${url}`)} is already in use by another rsync-live: pid ${process.pid} ` +
            `\\(rsync-live serve --config /x/config\\.json\\) since \\d{4}-.*Stop that one first \\(kill ${process.pid}\\)`,
        ),
      );
      // Without --once too: nothing left to run, so it ends at once with 75.
      const watching = await cli(['watch', src, url]);
      expect(watching.exitCode, watching.all).toBe(75);
      // The engine's pair runs on.
      expect(engine.state().pairs[0]?.targets[0]?.error).toBeNull();
    } finally {
      await engine.stop();
    }
    // Released when the engine stops: the same watch now runs.
    const after = await cli(['watch', src, url, '--once']);
    expect(after.exitCode, after.all).toBe(0);
  }, 120_000);

  it('a watch holding a target: the engine leaves that pair out naming it, runs the others, Retry now takes over', async () => {
    const url = daemon.url(daemon.moduleName, 'held-by-watch');
    const watch = execa('node', [BIN, 'watch', src, url], { reject: false, env, all: true });
    let output = '';
    watch.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const engine = new Engine({ stateDir, lockHolder: 'rsync-live desktop app' });
    try {
      await eventually(() => expect(output).toMatch(/full sync: .* ok/), 60_000);
      await engine.addPair(
        pairConfig({ id: 'held', folder: src, targets: [{ url }] }, { t1: daemon.password }),
      );
      const freeUrl = daemon.url(daemon.moduleName, 'free');
      await engine.addPair(
        pairConfig({ id: 'free', folder: other, targets: [{ url: freeUrl }] }, { t1: daemon.password }),
      );
      const held = engine.state().pairs.find((p) => p.id === 'held')?.targets[0];
      expect(held?.status).toBe('stopped');
      expect(held?.error?.kind).toBe('in-use');
      expect(held?.error?.message).toMatch(
        new RegExp(`pid ${watch.pid} \\(rsync-live watch ${quote(src)} .*\\).*Retry now`),
      );
      await waitForConverge(other, path.join(daemon.modulePath, 'free'), { timeoutMs: 30_000 });

      // Still held: Retry now says so again and changes nothing.
      engine.retryNow('held');
      await eventually(() =>
        expect(engine.state().pairs.find((p) => p.id === 'held')?.targets[0]?.error?.kind).toBe('in-use'),
      );
      watch.kill('SIGTERM');
      expect((await watch).exitCode).toBe(0);
      await fs.writeFile(path.join(src, 'later.txt'), 'after the watch stopped');
      engine.retryNow('held');
      await eventually(() =>
        expect(engine.state().pairs.find((p) => p.id === 'held')?.targets[0]?.error).toBeNull(),
      );
      await waitForConverge(src, path.join(daemon.modulePath, 'held-by-watch'), { timeoutMs: 30_000 });
    } finally {
      if (watch.exitCode === undefined) watch.kill('SIGKILL');
      await engine.stop();
    }
  }, 120_000);

  it('serve holding a pair: watch of the same folder+target exits 75 naming serve', async () => {
    const dir = await tempDir();
    const dest = path.join(dir, 'dest');
    const config = path.join(dir, 'config.json');
    await fs.writeFile(
      config,
      JSON.stringify({ version: 1, pairs: [{ id: 'p', folder: src, targets: [{ url: dest }] }] }),
    );
    const serve = execa('node', [BIN, 'serve', '--config', config, '--listen', '127.0.0.1:0', '--no-open'], {
      reject: false,
      env,
      all: true,
    });
    let output = '';
    serve.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually(() => expect(output).toMatch(/http:\/\/127\.0\.0\.1:\d+\//), 30_000);
      await waitForConverge(src, dest, { timeoutMs: 30_000 });
      const watch = await cli(['watch', src, dest, '--once']);
      expect(watch.exitCode, watch.all).toBe(75);
      expect(watch.stderr).toMatch(
        new RegExp(`pid ${serve.pid} \\(rsync-live serve --config ${quote(config)} .*\\)`),
      );
    } finally {
      serve.kill('SIGTERM');
      await serve;
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
