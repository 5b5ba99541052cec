// End to end, target outage: one of two daemons is killed (SIGKILL) while a writer keeps changing the folder,
// and comes back 10 s later on the same port. The other target must keep up the whole time, the dead one must
// show `error` (connection refused) and then recover by itself (no "Retry now"), and both must end up equal
// to the folder: nothing written during the outage is lost. The CLI shows the same story as lines on
// stderr/stdout.
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
/** The writer's whole run, the kill after its start, and the outage (the lower bound, 10 s). */
const WRITE_MS = 15_000;
const KILL_AFTER_MS = 1_500;
const OUTAGE_MS = 10_000;
/** How far behind the live target may fall during the outage (typically ~80 ms; bound for a loaded box). */
const LIVE_LAG_MS = 5_000;
/**
 * After the restart the dead target reconnects on its next backoff retry (by 10 s of outage the step is 8-16
 * s), then catches up.
 */
const RECOVER_MS = 45_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function daemon(): Promise<RsyncDaemon> {
  const d = await startRsyncDaemon({ socketNodelay: true });
  cleanups.push(() => d.dispose());
  return d;
}

async function folder(): Promise<string> {
  const dir = await tempDir();
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Until stopped: every 50-100 ms a new file, a rewrite of a few hot files, now and then a new directory with a
 * file in it, a delete and a rename.
 */
function startWriter(src: string): { stop: () => Promise<void> } {
  let stopped = false;
  const run = (async () => {
    await fs.mkdir(path.join(src, 'w'));
    for (let i = 0; !stopped; i++) {
      await fs.writeFile(path.join(src, `w/f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 50)));
      await fs.writeFile(path.join(src, `hot${i % 3}.txt`), `hot version ${i}\n`);
      if (i % 10 === 0) {
        await fs.mkdir(path.join(src, `dir${i}`, 'sub'), { recursive: true });
        await fs.writeFile(path.join(src, `dir${i}`, 'sub', 'inside.bin'), Buffer.alloc(8192, i % 256));
      }
      if (i % 7 === 6) await fs.rm(path.join(src, `w/f${i - 5}.txt`), { force: true });
      if (i % 13 === 12)
        await fs.rename(path.join(src, `w/f${i - 2}.txt`), path.join(src, `w/renamed${i}.txt`));
      await sleep(50 + (i % 6) * 10);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await run;
    },
  };
}

const target = (h: Harness, id: string) => h.engine.state().pairs[0]?.targets.find((t) => t.id === id);

describe('target outage', () => {
  it(
    'a daemon killed mid-churn and back 10 s later: the other target keeps up, the dead one shows error ' +
      'then recovers by itself, and nothing written meanwhile is lost',
    async () => {
      const [a, b] = [await daemon(), await daemon()];
      const src = await folder();
      const h = await startHarness(
        pairConfig(
          {
            folder: src,
            targets: [
              { id: 'a', url: a.url() },
              { id: 'b', url: b.url() },
            ],
          },
          { a: a.password, b: b.password },
        ),
      );
      cleanups.push(() => h.stop());
      const history: string[] = [];
      h.engine.on('failure', (f) => {
        if (f.targetId === 'b') history.push(`failure:${f.error.kind}`);
      });
      h.engine.on('recovered', (r) => {
        if (r.targetId === 'b') history.push('recovered');
      });
      await eventually(() => {
        expect(target(h, 'a')?.status).toBe('idle');
        expect(target(h, 'b')?.status).toBe('idle');
      });

      const writer = startWriter(src);
      const writeEnds = Date.now() + WRITE_MS;
      try {
        await sleep(KILL_AFTER_MS);
        // Killed wherever b happens to be, possibly in the middle of a file: the temporary ".NAME.XXXXXX" file
        // such a kill leaves in the module is removed by the full sync that follows the outage.
        await b.stop({ signal: 'SIGKILL' });
        const restartAt = Date.now() + OUTAGE_MS;

        // While b is down: b shows the refused connection, keeps its queue and schedules retries.
        await eventually(() => {
          expect(target(h, 'b')?.status).toBe('error');
          expect(target(h, 'b')?.error?.kind).toBe('connection-refused');
        }, OUTAGE_MS);
        const down = target(h, 'b');
        expect(down?.error?.message).toBe(
          `connection refused by 127.0.0.1:${b.port}::data: is the rsync daemon running and listening on that port? Retrying`,
        );
        expect(down?.error?.class).toBe('transient');
        expect(down?.error?.nextRetryAt).not.toBeNull();
        // And a stays current: again and again until the restart, a probe file written amid the churn must
        // arrive on a within the bound.
        const lags: number[] = [];
        for (let k = 0; Date.now() < restartAt - 1_000; k++) {
          const probe = `probe${k}.txt`;
          const written = Date.now();
          await fs.writeFile(path.join(src, probe), `probe ${k}`);
          await eventually(
            async () => expect(await fs.readFile(path.join(a.modulePath, probe), 'utf8')).toBe(`probe ${k}`),
            LIVE_LAG_MS,
            20,
          );
          lags.push(Date.now() - written);
          await sleep(300);
        }
        expect(lags.length).toBeGreaterThanOrEqual(5);
        expect(Math.max(...lags)).toBeLessThan(LIVE_LAG_MS);
        expect(target(h, 'a')?.error).toBeNull();
        // Still down, still holding its queue, and retried all along (backoff 1 s doubling).
        const stillDown = target(h, 'b');
        expect(stillDown?.status).toBe('error');
        expect((stillDown?.queued ?? 0) + (stillDown?.inFlight ?? 0)).toBeGreaterThan(0);
        expect(stillDown?.error?.attempts).toBeGreaterThanOrEqual(3);
        expect(Date.parse(stillDown?.error?.at ?? '')).toBeGreaterThan(
          Date.parse(stillDown?.error?.since ?? ''),
        );

        await sleep(restartAt - Date.now());
        await b.start();
        await sleep(writeEnds - Date.now());
      } finally {
        await writer.stop();
      }

      // The live target is current within moments of the last write.
      await waitForConverge(src, a.modulePath, { timeoutMs: 10_000 });
      // The restarted one catches up on its own, through its next backoff retry.
      await waitForConverge(src, b.modulePath, { timeoutMs: RECOVER_MS }).catch((error: Error) => {
        throw new Error(
          `${error.message}\n  b: ${JSON.stringify(target(h, 'b'))}\n  b's events: ${history.join(' ')}`,
        );
      });
      await eventually(() => expect(target(h, 'b')?.status).toBe('idle'));
      expect(target(h, 'b')?.error).toBeNull();
      expect(history).toContain('failure:connection-refused');
      expect(history.at(-1)).toBe('recovered');
      expect(h.failures.filter((f) => f.targetId !== 'b')).toEqual([]);
      // Still equal once everything has settled (no late run undoing anything).
      await h.engine.whenIdle();
      await waitForConverge(src, a.modulePath);
      await waitForConverge(src, b.modulePath);
    },
    WRITE_MS + RECOVER_MS + 30_000,
  );

  it('the CLI prints the refused connection, then "back in sync", and catches up after the restart', async () => {
    const d = await daemon();
    const src = await folder();
    const stateDir = await folder();
    await fs.writeFile(path.join(src, 'before.txt'), 'before');
    const args = ['watch', src, d.url(), '--password-file', d.passwordFile, '--state-dir', stateDir];
    // SIGTERM gives transfers in flight up to 10 s (and the queue file an fsync): no SIGKILL from execa before.
    const child = execa('node', [BIN, ...args], { reject: false, all: true, forceKillAfterDelay: 15_000 });
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await child;
    });
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForConverge(src, d.modulePath);

    await d.stop({ signal: 'SIGKILL' });
    await fs.writeFile(path.join(src, 'during.txt'), 'written while the daemon was down');
    await eventually(() =>
      expect(output).toContain(
        `error: [watch] connection refused by 127.0.0.1:${d.port}::data: is the rsync daemon running and listening on that port? Retrying`,
      ),
    );
    expect(output).not.toContain('back in sync');
    await sleep(2_000);
    await d.start();
    await waitForConverge(src, d.modulePath, { timeoutMs: 30_000 });
    await eventually(() => expect(output).toContain(`127.0.0.1:${d.port}::data: back in sync`));
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, `stopped by ${result.signal ?? 'itself'}; output:\n${output}`).toBe(0);
  }, 60_000);

  it('a daemon killed in the middle of a file: after its return the temporary file is gone and the file complete', async () => {
    const d = await daemon();
    const src = await folder();
    const h = await startHarness(
      pairConfig(
        // 256 KiB/s: the 4 MiB file takes ~16 s, so the kill lands mid-file.
        { folder: src, targets: [{ id: 't', url: d.url(), rsync: { bwlimitKiB: 256 } }] },
        { t: d.password },
      ),
    );
    cleanups.push(() => h.stop());
    const fullSyncs: string[] = [];
    h.engine.on('batch-end', (b) => b.kind === 'full' && b.ok && fullSyncs.push(b.at));
    await eventually(() => expect(target(h, 't')?.status).toBe('idle'));
    await fs.writeFile(path.join(src, 'big.bin'), Buffer.alloc(4 << 20, 7));
    const temporary = async () =>
      (await fs.readdir(d.modulePath)).filter((name) => name.startsWith('.big.bin.'));
    await eventually(async () => expect(await temporary()).toHaveLength(1), 10_000, 20);
    await sleep(500);
    await d.stop({ signal: 'SIGKILL' });
    expect(await temporary()).toHaveLength(1); // the debris the kill left
    const before = fullSyncs.length;
    await sleep(1_000);
    await d.start();
    await waitForConverge(src, d.modulePath, { timeoutMs: 60_000 });
    expect(await temporary()).toEqual([]);
    expect(fullSyncs.length).toBeGreaterThan(before); // the full sync after the outage removed it
  }, 90_000);
});
