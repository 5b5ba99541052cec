// End to end: a daemon that accepts connections but never answers (its process stopped with SIGSTOP: the
// kernel still completes the TCP handshake) is detected on the short path runs that go without rsync's
// --timeout (the runner's stall watchdog stops them after the target's timeout), reported as a timeout, and
// the target catches up once the daemon answers again.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir } from '../helpers/engine-harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function daemonPid(d: RsyncDaemon): Promise<number> {
  const text = await fs.readFile(path.join(d.dir, 'rsyncd.pid'), 'utf8');
  const pid = Number(text.trim());
  expect(pid).toBeGreaterThan(1);
  return pid;
}

describe('hung daemon', () => {
  it('a path run to a daemon that stopped answering ends as a timeout after the target timeout, then catches up', async () => {
    const d = await startRsyncDaemon({ socketNodelay: false });
    cleanups.push(() => d.dispose());
    const src = await tempDir();
    cleanups.push(() => fs.rm(src, { recursive: true, force: true }));
    const config = pairConfig(
      { folder: src, targets: [{ id: 't', url: d.url() }], rsync: { timeoutSec: 2 } },
      { t: d.password },
    );
    const h = await startHarness(config);
    cleanups.push(() => h.stop());
    await fs.writeFile(path.join(src, 'before'), '1');
    await waitForConverge(src, d.modulePath);

    const pid = await daemonPid(d);
    process.kill(pid, 'SIGSTOP');
    let stopped = true;
    const resume = (): void => {
      if (stopped) process.kill(pid, 'SIGCONT');
      stopped = false;
    };
    cleanups.push(async () => resume());

    const t0 = Date.now();
    await fs.writeFile(path.join(src, 'during'), 'written while the daemon hung');
    const state = () => h.engine.state().pairs[0]?.targets.find((t) => t.id === 't');
    await eventually(() => {
      expect(state()?.error?.kind).toBe('timeout');
    }, 60_000);
    // Not before the timeout (2 s): the watchdog waits for the full limit without data.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(state()?.error?.message).toMatch(/did not answer in time/);
    expect(h.failures.some((f) => f.error.kind === 'timeout')).toBe(true);

    resume();
    h.engine.retryNow('p', 't');
    await waitForConverge(src, d.modulePath);
    await eventually(() => expect(state()?.status).toBe('idle'), 60_000);
  }, 120_000);
});
