// Secrets: a daemon password reaches rsync only through its environment (or a 0600 file), never its argv,
// the engine's state JSON, logs or error messages. Checked on the live rsync processes through /proc.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

async function rsyncProcessesFor(port: number): Promise<{ pid: string; argv: string; env: string }[]> {
  const found: { pid: string; argv: string; env: string }[] = [];
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'latin1')).split('\0').join(' ');
      if (!argv.startsWith('rsync ') || !argv.includes(`:${port}/`)) continue;
      found.push({ pid, argv, env: await fs.readFile(`/proc/${pid}/environ`, 'latin1') });
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

describe('secrets', () => {
  let daemon: RsyncDaemon;
  let src: string;
  let h: Harness;
  const logs: string[] = [];

  afterAll(async () => {
    await h?.stop();
    await daemon?.dispose();
    if (src) await fs.rm(src, { recursive: true, force: true });
  });

  it('the password is in no rsync argv, state, log or error; it is in the child environment only', async () => {
    daemon = await startRsyncDaemon();
    src = await tempDir();
    await fs.writeFile(path.join(src, 'slow.bin'), Buffer.alloc(3 * 1024 * 1024, 5));
    h = await startHarness(
      pairConfig(
        { folder: src, rsync: { bwlimitKiB: 1024 }, targets: [{ id: 'd', url: daemon.url() }] },
        { d: daemon.password },
      ),
    );
    h.engine.on('log', (entry) => logs.push(entry.message));
    let seen: Awaited<ReturnType<typeof rsyncProcessesFor>> = [];
    await eventually(
      async () => {
        seen = await rsyncProcessesFor(daemon.port);
        expect(seen.length).toBeGreaterThan(0);
      },
      10_000,
      20,
    );
    for (const proc of seen) {
      expect(proc.argv).not.toContain(daemon.password);
      expect(proc.env).toContain(`RSYNC_PASSWORD=${daemon.password}`);
    }
    await h.engine.whenIdle();
    // A wrong password: the error names the user and target, never the password tried.
    await h.engine.updatePair(
      pairConfig({ folder: src, targets: [{ id: 'd', url: daemon.url() }] }, { d: 'Sup3r-Secret-Guess' }),
    );
    await eventually(() => expect(h.engine.state().pairs[0]?.targets[0]?.error?.kind).toBe('auth-failed'));
    const everything = JSON.stringify({
      state: h.engine.state(),
      logs,
      failures: h.failures,
      batches: h.batches,
    });
    expect(everything).not.toContain(daemon.password);
    expect(everything).not.toContain('Sup3r-Secret-Guess');
  });
});
