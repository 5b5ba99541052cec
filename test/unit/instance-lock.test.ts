// The one-engine lock: a live holder is refused with its pid, command and start time; a holder that is gone
// (kill -9) is taken over; release frees it; an unwritable state directory falls back to the temp one.
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, fallbackLockDir, lockFile, LockedError } from '../../electron/service/instance-lock.js';

describe('instance lock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-lock-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const who = { what: '/src → rsync://nas/m', command: 'rsync-live watch /src rsync://nas/m' };

  it('refuses a held lock naming its holder, and frees it on release', async () => {
    const lock = await acquireLock(dir, 'k1', who);
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toMatchObject({ pid: process.pid, ...who });
    const refused = await acquireLock(dir, 'k1', who).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^/src → rsync://nas/m is already in use by another rsync-live: pid ${process.pid} \\(rsync-live watch /src rsync://nas/m\\) since \\d{4}-.*kill ${process.pid}`,
      ),
    );
    // Another key is another lock.
    const other = await acquireLock(dir, 'k2', who);
    await other.release();
    await lock.release();
    const again = await acquireLock(dir, 'k1', who);
    await again.release();
  });

  it('takes over the lock of a process that is gone', async () => {
    const child = execa('true');
    const pid = child.pid as number;
    await child;
    const file = lockFile(dir, 'k3');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ pid, command: 'old', since: 'then', what: 'x' }));
    const lock = await acquireLock(dir, 'k3', who);
    expect(JSON.parse(await readFile(lock.file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock file left half-written long ago', async () => {
    const file = lockFile(dir, 'k5');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{"pi');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const lock = await acquireLock(dir, 'k5', who);
    await lock.release();
  });

  it('falls back to a per-user temp directory when the state directory cannot be written', async () => {
    const blocked = path.join(dir, 'a-file');
    await writeFile(blocked, '');
    const lock = await acquireLock(path.join(blocked, 'state'), `k4-${process.pid}`, who);
    expect(lock.file.startsWith(fallbackLockDir())).toBe(true);
    await lock.release();
  });
});
