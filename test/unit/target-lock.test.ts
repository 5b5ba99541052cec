// The folder+target locks every engine takes (electron/engine/target-lock.ts): one key per folder+target
// whatever the trailing slashes, a held one refused with the holder and what to do, freed on release.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetLocks, targetLockKey } from '../../electron/engine/target-lock.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

describe('TargetLocks', () => {
  it('gives one key per folder+target, whatever the trailing slashes', () => {
    expect(targetLockKey('/src/', 'rsync://h/m/')).toBe(targetLockKey('/src', 'rsync://h/m'));
    expect(targetLockKey('/src', 'rsync://h/m')).not.toBe(targetLockKey('/src', 'rsync://h/n'));
  });

  it('refuses a held target naming the holder and what to do, and frees it on release', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-locks-'));
    dirs.push(dir);
    const first = new TargetLocks(dir, '/src', 'rsync-live serve --config /c.json');
    const second = new TargetLocks(dir, '/src/', 'rsync-live watch /src rsync://h/m');
    expect(await first.take('rsync://h/m')).toBeNull();
    // Taking it again in the same holder is a no-op; another folder or target is another lock.
    expect(await first.take('rsync://h/m')).toBeNull();
    expect(await second.take('rsync://h/other')).toBeNull();
    const refused = await second.take('rsync://h/m/');
    expect(refused?.kind).toBe('in-use');
    expect(refused?.message).toMatch(
      new RegExp(
        `^/src → rsync://h/m is already in use by another rsync-live: pid ${process.pid} ` +
          `\\(rsync-live serve --config /c\\.json\\) since .*kill ${process.pid}.*Retry now`,
      ),
    );
    await first.releaseAll();
    expect(await second.take('rsync://h/m')).toBeNull();
    await second.releaseAll();
    expect(await fs.readdir(path.join(dir, 'locks'))).toEqual([]);
  });

  it('takes no lock without a lock directory', async () => {
    const none = new TargetLocks(null, '/src', 'x');
    expect(await none.take('rsync://h/m')).toBeNull();
    expect(await new TargetLocks(null, '/src', 'y').take('rsync://h/m')).toBeNull();
  });
});
