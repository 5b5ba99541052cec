// End to end, a full target disk: a daemon module on a 2 MiB tmpfs receives more than fits. The target must
// show a clear `disk-full` error naming it and saying to free space, keep retrying with backoff, leave the
// pair's other target alone, and converge by itself once space is freed (the tmpfs remounted bigger).
// Mounting needs root (CAP_SYS_ADMIN); where it is not permitted the test is skipped and says why
// (docs/reliability.md).
import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const mount = (args: string[]) => execa('mount', args, { reject: false, all: true });
const unmount = (dir: string) => execa('umount', [dir], { reject: false, all: true });

/** Can this process mount a tmpfs? (root with CAP_SYS_ADMIN; most unprivileged containers cannot.) */
async function probeMount(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not running as root';
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-mount-probe-'));
  try {
    const result = await mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    if (result.exitCode !== 0)
      return `mount -t tmpfs failed: ${result.all?.trim() ?? `exit ${result.exitCode}`}`;
    await unmount(dir);
    return null;
  } catch (error) {
    return `mount could not be run: ${(error as Error).message}`;
  } finally {
    await fs.rmdir(dir).catch(() => undefined);
  }
}

const cannotMount = await probeMount();
if (cannotMount !== null)
  console.warn(`disk-full.test.ts: skipped, tmpfs cannot be mounted here (${cannotMount})`);

describe('target disk full', () => {
  let mountPoint: string | null = null;
  let mounted = false;
  let daemon: RsyncDaemon | null = null;
  let h: Harness | null = null;
  const dirs: string[] = [];

  afterAll(async () => {
    await h?.stop();
    await daemon?.dispose();
    if (mountPoint !== null) {
      if (mounted) {
        const result = await unmount(mountPoint);
        if (result.exitCode !== 0) await execa('umount', ['-l', mountPoint], { reject: false });
      }
      await fs.rmdir(mountPoint).catch(() => undefined);
    }
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it.skipIf(cannotMount !== null)(
    'a full module disk is a clear, retried error; the other target goes on; freeing space converges it ' +
      '(mounts a tmpfs: needs root, skipped where mounting is not permitted)',
    async () => {
      mountPoint = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-full-disk-'));
      const mounted2m = await mount(['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', mountPoint]);
      expect(mounted2m.exitCode, mounted2m.all).toBe(0);
      mounted = true;
      daemon = await startRsyncDaemon({ socketNodelay: true, modules: [{ name: 'data', path: mountPoint }] });
      const src = await tempDir();
      const local = await tempDir();
      dirs.push(src, local);
      const harness = (h = await startHarness(
        pairConfig(
          {
            folder: src,
            targets: [
              { id: 'full', url: daemon.url() },
              { id: 'local', url: local },
            ],
          },
          { full: daemon.password },
        ),
      ));
      const target = (id: string) => harness.engine.state().pairs[0]?.targets.find((t) => t.id === id);
      await eventually(() => expect(target('full')?.status).toBe('idle'));

      // 3 MiB into a 2 MiB disk.
      for (let i = 0; i < 6; i++)
        await fs.writeFile(path.join(src, `big${i}.bin`), Buffer.alloc(512 * 1024, i));
      await fs.writeFile(path.join(src, 'small.txt'), 'small');
      await eventually(() => expect(target('full')?.error?.kind).toBe('disk-full'), 15_000);
      const first = target('full')?.error;
      expect(target('full')?.status).toBe('error');
      expect(first?.class).toBe('transient');
      expect(first?.nextRetryAt).not.toBeNull();
      expect(first?.message).toBe(
        `the disk behind 127.0.0.1:${daemon.port}::data is full: free space on the server; retrying`,
      );
      expect(harness.failures.some((f) => f.targetId === 'full' && f.error.kind === 'disk-full')).toBe(true);
      // The other target is not held up by this one.
      await waitForConverge(src, local);
      expect(target('local')?.error).toBeNull();

      // Retries go on with backoff: the same incident fails again later (a retry ran and hit the full disk).
      await eventually(() => {
        const now = target('full')?.error;
        expect(now?.kind).toBe('disk-full');
        expect(now?.since).toBe(first?.since);
        expect(Date.parse(now?.at ?? '')).toBeGreaterThan(Date.parse(first?.at ?? '') + 400);
        expect(now?.attempts).toBeGreaterThan(first?.attempts ?? 0);
      }, 15_000);
      expect(target('full')?.queued).toBeGreaterThan(0);

      // Space freed: the next retry gets through, without "Retry now".
      const bigger = await mount(['-o', 'remount,size=64m', mountPoint]);
      expect(bigger.exitCode, bigger.all).toBe(0);
      await waitForConverge(src, daemon.modulePath, { timeoutMs: 30_000 });
      await eventually(() => expect(target('full')?.status).toBe('idle'));
      expect(target('full')?.error).toBeNull();
      expect(harness.recovered).toContain('full');
    },
    60_000,
  );
});
