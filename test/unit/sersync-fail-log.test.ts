// The fail log: a 0600 record (never a script), one line per failed path with ISO time, pair, target, exit
// code, path and error; each path once per incident; symlinks refused; loose modes tightened; failing targets
// retried on the timeToExecute schedule.
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailLog, formatRecord } from '../../electron/sersync/fail-log.js';
import type { EngineEvents, EngineState } from '../../electron/shared/state.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-faillog-'));
  cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
  return d;
}

class FakeEngine extends EventEmitter<Pick<EngineEvents, 'paths-failed' | 'recovered'>> {
  failing = new Set<string>();
  retried: string[] = [];
  state(): EngineState {
    const target = (id: string) => ({
      id,
      url: `rsync://backup@127.0.0.1:8730/${id}`,
      error: this.failing.has(id) ? ({ kind: 'connection-refused' } as never) : null,
    });
    return {
      version: 1,
      pairs: [{ id: 'www', targets: [target('t1'), target('t2')] }],
    } as unknown as EngineState;
  }
  retryNow(pairId?: string, targetId?: string): void {
    this.retried.push(`${pairId}/${targetId}`);
  }
}

const at = new Date('2025-03-01T12:00:00.000Z');

describe('FailLog', () => {
  it('writes a readable 0600 record, one line per path, each path once per incident', async () => {
    const file = path.join(await dir(), 'fail.log');
    const engine = new FakeEngine();
    const log = new FailLog(engine, { path: file, retryMs: 0, log: () => {}, now: () => at });
    await log.open();
    log.start();
    const failed = {
      pairId: 'www',
      targetId: 't1',
      paths: ['a b.txt', 'dir/"quoted" $(x)\n.txt'],
      exitCode: 10,
      error: {
        kind: 'connection-refused' as const,
        message: 'connection refused by 127.0.0.1:8730: is the daemon running?',
      },
    };
    engine.emit('paths-failed', failed);
    engine.emit('paths-failed', { ...failed, paths: ['a b.txt', 'c'] });
    engine.emit('recovered', { pairId: 'www', targetId: 't1' });
    engine.emit('paths-failed', { ...failed, paths: ['a b.txt'], exitCode: null, error: null });
    await log.stop();
    const stat = await fs.stat(file);
    expect((stat.mode & 0o777).toString(8)).toBe('600');
    const target = 'rsync://backup@127.0.0.1:8730/t1';
    const error = JSON.stringify(failed.error.message);
    expect((await fs.readFile(file, 'utf8')).split('\n')).toEqual([
      `2025-03-01T12:00:00.000Z pair=www target=${target} exit=10 path="a b.txt" error=${error}`,
      `2025-03-01T12:00:00.000Z pair=www target=${target} exit=10 path="dir/\\"quoted\\" $(x)\\n.txt" error=${error}`,
      `2025-03-01T12:00:00.000Z pair=www target=${target} exit=10 path="c" error=${error}`,
      `2025-03-01T12:00:00.000Z pair=www target=${target} recovered: the 3 path(s) above were sent`,
      `2025-03-01T12:00:00.000Z pair=www target=${target} exit=- path="a b.txt" error="rsync exited with a signal"`,
      '',
    ]);
  });

  it('tightens a loose or executable existing file and appends to it', async () => {
    const file = path.join(await dir(), 'rsync_fail_log.sh');
    await fs.writeFile(file, '#!/bin/sh\n', { mode: 0o777 });
    await fs.chmod(file, 0o777);
    const warnings: string[] = [];
    const log = new FailLog(new FakeEngine(), { path: file, retryMs: 0, log: (_, m) => warnings.push(m) });
    await log.open();
    await log.stop();
    expect(((await fs.stat(file)).mode & 0o777).toString(8)).toBe('640');
    expect(warnings).toEqual([
      expect.stringMatching(/had mode 0777: set to 0640 \(a record, not a script\)/),
    ]);
  });

  it('refuses to follow a symlink planted at its path', async () => {
    const d = await dir();
    await fs.writeFile(path.join(d, 'victim'), 'keep me');
    await fs.symlink(path.join(d, 'victim'), path.join(d, 'fail.log'));
    const log = new FailLog(new FakeEngine(), { path: path.join(d, 'fail.log'), retryMs: 0, log: () => {} });
    await expect(log.open()).rejects.toThrow(/is a symbolic link: refusing to follow it/);
    expect(await fs.readFile(path.join(d, 'victim'), 'utf8')).toBe('keep me');
  });

  it('says what to do when the directory is missing', async () => {
    const log = new FailLog(new FakeEngine(), { path: '/nonexistent-dir/x.log', retryMs: 0, log: () => {} });
    await expect(log.open()).rejects.toThrow(
      'cannot open fail log /nonexistent-dir/x.log (ENOENT): check the directory exists and is writable',
    );
  });

  it('retries failing targets (only those) every timeToExecute', async () => {
    const engine = new FakeEngine();
    const infos: string[] = [];
    const log = new FailLog(engine, {
      path: path.join(await dir(), 'f.log'),
      retryMs: 40,
      log: (_, m) => infos.push(m),
    });
    await log.open();
    log.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.retried).toEqual([]);
    engine.failing.add('t2');
    await new Promise((r) => setTimeout(r, 100));
    await log.stop();
    expect(engine.retried.length).toBeGreaterThanOrEqual(1);
    expect(new Set(engine.retried)).toEqual(new Set(['www/t2']));
    expect(infos[0]).toBe('fail log: retrying 1 failing target(s) now (timeToExecute)');
  });

  it('formats one record per line', () => {
    expect(formatRecord(at, { pair: 'p', target: 'h::m', exitCode: 23, path: 'x', error: 'partial' })).toBe(
      '2025-03-01T12:00:00.000Z pair=p target=h::m exit=23 path="x" error="partial"\n',
    );
  });
});
