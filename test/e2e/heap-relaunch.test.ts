// The built command with the bin's small-heap node flags (as the installed `rsync-live` runs): a pair watching
// through chokidar runs in a relaunched child without them, which mirrors as usual, gets the signals sent to the
// command, and whose exit status is the command's; inotify (native or its fs.watch fallback) keeps them.
// Run after `npm run build`.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
/** The flags of the bin's first line. */
const FLAGS = (/^#!.* node (.*)$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ?? '').split(' ');

/** Node processes started by pid, with their argv. */
function nodeChildren(pid: number): { pid: number; argv: string[] }[] {
  let ids: string[];
  try {
    ids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
  return ids
    .map((id) => ({
      pid: Number(id),
      argv: readFileSync(`/proc/${id}/cmdline`, 'utf8').split('\0').filter(Boolean),
    }))
    .filter((child) => child.argv.includes(BIN));
}

describe('small-heap flags and the relaunch', () => {
  let daemon: RsyncDaemon;
  let src: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    src = await tempDir();
    await fs.writeFile(path.join(src, 'first.txt'), 'first');
  });

  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(src, { recursive: true, force: true });
  });

  const start = (sub: string, args: string[], env: Record<string, string> = {}, detached = false) =>
    execa(
      'node',
      [
        ...FLAGS,
        BIN,
        'watch',
        src,
        daemon.url(daemon.moduleName, sub),
        '--password-file',
        daemon.passwordFile,
        ...args,
      ],
      { reject: false, all: true, env, detached },
    );

  /** Starts the command and waits until its output says it watches as `ready` says. */
  const startWatching = async (
    sub: string,
    args: string[],
    ready: RegExp = /watching .*chokidar/,
    env: Record<string, string> = {},
    detached = false,
  ) => {
    const proc = start(sub, args, env, detached);
    let out = '';
    proc.all.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await eventually(() => expect(out).toMatch(ready), 60_000);
    return { proc }; // wrapped: the subprocess is a promise, which await would wait for
  };

  /** The command stopped once, with its grace: exit 0, no "again: exiting without waiting". */
  const expectOneStop = async (proc: ReturnType<typeof start>, signal: string) => {
    const result = await proc;
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain(`received ${signal}: stopping`);
    expect(result.all).not.toContain('again: exiting without waiting');
  };

  it('the bin names the small-heap flags', () => {
    expect(FLAGS).toContain('--max-semi-space-size=1');
    expect(FLAGS).not.toContain('--optimize-for-size');
  });

  it('chokidar runs in a child without the flags, mirrors, and stops on the SIGTERM sent to the command', async () => {
    const { proc } = await startWatching('chokidar', ['--watcher', 'chokidar']);
    const children = nodeChildren(proc.pid as number);
    expect(children).toHaveLength(1);
    const child = children[0] as { pid: number; argv: string[] };
    expect(child.argv.filter((arg) => FLAGS.includes(arg))).toEqual([]);
    await fs.writeFile(path.join(src, 'second.txt'), 'second');
    await waitForConverge(src, path.join(daemon.modulePath, 'chokidar'));
    proc.kill('SIGTERM');
    const result = await proc;
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('received SIGTERM: stopping');
    await eventually(() => expect(() => process.kill(child.pid, 0)).toThrow());
  }, 120_000);

  it("the child's end is the command's exit status", async () => {
    const { proc } = await startWatching('killed', ['--no-initial-sync', '--watcher', 'chokidar']);
    const [child] = nodeChildren(proc.pid as number);
    process.kill(child?.pid as number, 'SIGKILL');
    const result = await proc;
    expect(result.exitCode, result.all).toBe(128 + 9);
  }, 120_000);

  it("a SIGTERM to each of the command's processes (systemd's stop) stops the child once, with its grace", async () => {
    const { proc } = await startWatching('group', ['--no-initial-sync', '--watcher', 'chokidar']);
    const [child] = nodeChildren(proc.pid as number);
    // systemd's default stop signals every process of the unit: the child hears it directly and relayed.
    process.kill(child?.pid as number, 'SIGTERM');
    process.kill(proc.pid as number, 'SIGTERM');
    await expectOneStop(proc, 'SIGTERM');
  }, 120_000);

  it("Ctrl-C in a terminal (SIGINT to the command's process group) reaches the child, once", async () => {
    const { proc } = await startWatching(
      'ctrlc',
      ['--no-initial-sync', '--watcher', 'chokidar'],
      /watching .*chokidar/,
      {},
      true,
    );
    process.kill(-(proc.pid as number), 'SIGINT'); // the command leads its own process group here
    await expectOneStop(proc, 'SIGINT');
  }, 120_000);

  it('the command killed with SIGKILL: its child stops too', async () => {
    const { proc } = await startWatching('orphan', ['--no-initial-sync', '--watcher', 'chokidar']);
    const [child] = nodeChildren(proc.pid as number);
    expect(child).toBeDefined();
    process.kill(proc.pid as number, 'SIGKILL');
    await proc;
    await eventually(() => expect(() => process.kill(child?.pid as number, 0)).toThrow(), 30_000);
  }, 120_000);

  for (const [name, env, backend] of [
    ['native inotify', {}, /\(\d+ directories, inotify\)/],
    ['the fs.watch fallback', { RSYNC_LIVE_NO_NATIVE: '1' }, /fs\.watch fallback/],
  ] as const) {
    it(`${name} keeps the flags in the one process`, async () => {
      const { proc } = await startWatching(name.replace(/\W/g, ''), ['--no-initial-sync'], backend, env);
      expect(nodeChildren(proc.pid as number)).toEqual([]);
      expect(readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0')).toContain('--single-threaded');
      proc.kill('SIGINT');
      const result = await proc;
      expect(result.exitCode, result.all).toBe(0);
    }, 120_000);
  }
});
