// Regression tests for the engine bugs the randomized churn (churn.test.ts) and the soak found, each reduced to
// a minimal deterministic case: the five fixed in 038288b assert the correct behaviour (each fails on 0e876d4
// with the symptom in its "was:" comment). Writes through hard links are tested in engine-replication.test.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import { waitForConverge } from '../helpers/manifest.js';
import { eventually, pairConfig, tempDir } from '../helpers/engine-harness.js';
import { startRsyncDaemon } from '../helpers/rsync-daemon.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('engine bugs found by the churn', () => {
  const SETTLE_MS = 2_000;

  async function mirror(
    prepare: (src: string) => Promise<void>,
    options: { watch?: boolean; delayMs?: number } = {},
  ): Promise<{ src: string; dst: string; engine: Engine }> {
    const daemon = await startRsyncDaemon({ socketNodelay: true });
    cleanups.push(() => daemon.dispose());
    const src = await tempDir('rsync-live-churn-bug-');
    cleanups.push(() => fs.rm(src, { recursive: true, force: true }));
    await prepare(src);
    // Never empty: an empty folder trips the delete guard, which would hold back the deletions under test.
    await fs.writeFile(path.join(src, 'keep'), 'k');
    const engine = new Engine({ burstVerifyPaths: 0 });
    cleanups.push(() => engine.stop());
    await engine.addPair(
      pairConfig(
        { folder: src, delayMs: options.delayMs ?? 50, targets: [{ id: 'a', url: daemon.url() }] },
        { a: daemon.password },
      ),
      { watch: options.watch ?? true },
    );
    await waitForConverge(src, daemon.modulePath);
    return { src, dst: daemon.modulePath, engine };
  }

  /** Resolves when the coalescer has released `change` for `rel` (listen before causing it). */
  function released(engine: Engine, rel: string, change: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (info: { changes: { path: string; change: string }[] }): void => {
        if (!info.changes.some((c) => c.path === rel && c.change === change)) return;
        engine.off('changes', listener);
        resolve();
      };
      engine.on('changes', listener);
    });
  }

  it('coalescer, rename over: a file renamed over an existing one and removed in the same window leaves the target', async () => {
    // mv b a (a existed) is reported as "created a"; the coalescer took "created" for "did not exist before
    // this window", so the rm a that followed cancelled it out and the target kept the old a (soak seed 7,
    // 2000 ops: three files left behind). delayMs only widens the window so that the order is certain.
    const { src, dst } = await mirror(
      async (dir) => {
        await fs.writeFile(path.join(dir, 'a'), 'old a');
        await fs.writeFile(path.join(dir, 'b'), 'new a');
      },
      { delayMs: 500 },
    );
    await fs.rename(path.join(src, 'b'), path.join(src, 'a'));
    await new Promise((r) => setTimeout(r, 100)); // the watcher has looked at "a" (it exists)
    await fs.rm(path.join(src, 'a'));
    await waitForConverge(src, dst); // was: extra on target: "a"
  });

  it('coalescer, full sync: a file that came and went in one window leaves the target a full sync copied it to', async () => {
    // The coalescer dropped "created, then removed" within one window, but a full sync (start-up, after a
    // burst, scheduled) that ran in between had copied the file (churn seed 5, 400 ops: two files left on
    // target b during the start-up sync). The pair starts paused, with a long window, to fix the order.
    const daemon = await startRsyncDaemon({ socketNodelay: true });
    cleanups.push(() => daemon.dispose());
    const src = await tempDir('rsync-live-churn-bug-');
    const outside = await tempDir('rsync-live-churn-bug-');
    cleanups.push(() => fs.rm(src, { recursive: true, force: true }));
    cleanups.push(() => fs.rm(outside, { recursive: true, force: true }));
    await fs.writeFile(path.join(src, 'keep'), 'k');
    const engine = new Engine({ burstVerifyPaths: 0 });
    cleanups.push(() => engine.stop());
    const startUpSync = new Promise<void>((resolve) =>
      engine.on('batch-end', (b) => b.kind === 'full' && resolve()),
    );
    await engine.addPair(
      pairConfig(
        {
          folder: src,
          delayMs: 3_000,
          maxDelayMs: 5_000,
          paused: true,
          targets: [{ id: 'a', url: daemon.url() }],
        },
        { a: daemon.password },
      ),
    );
    await fs.writeFile(path.join(outside, 'r'), 'moved in');
    await fs.rename(path.join(outside, 'r'), path.join(src, 'r')); // reported as "created"
    await new Promise((r) => setTimeout(r, 200));
    engine.resume();
    await startUpSync;
    await fs.access(path.join(daemon.modulePath, 'r')); // the full sync copied it
    await fs.rm(path.join(src, 'r')); // "removed" in the same window
    await new Promise((r) => setTimeout(r, 200));
    await engine.whenIdle();
    await waitForConverge(src, daemon.modulePath); // was: extra on target: "r"
  });

  it('tree run: a replaced directory whose parent goes away first does not leave the target in error', async () => {
    // "p/c" replaced (mv p/c old-c; mkdir p/c) queues a "tree" change; then p is deleted. The tree run found no
    // p/c (rsync exit 23, link_stat failed) and was retried for ever; before 0e876d4 it also held back
    // "delete p" (churn seed 1: p left on the target), after it the target stayed in error. Paused to fix
    // the order of events; the churn needs no pause.
    const { src, dst, engine } = await mirror(async (dir) => {
      await fs.mkdir(path.join(dir, 'p/c'), { recursive: true });
      await fs.writeFile(path.join(dir, 'p/c/f'), 'f');
    });
    engine.pause();
    let next = released(engine, 'p/c', 'tree');
    await fs.rename(path.join(src, 'p/c'), path.join(src, 'old-c'));
    await fs.mkdir(path.join(src, 'p/c'));
    await next;
    next = released(engine, 'p', 'delete');
    await fs.rm(path.join(src, 'p'), { recursive: true });
    await next;
    engine.resume();
    await waitForConverge(src, dst);
    await eventually(() => {
      const target = engine.state().pairs[0]?.targets[0];
      expect([target?.status, target?.error?.message ?? null]).toEqual(['idle', null]);
    }, 20_000);
  });

  it('queue, tree then upsert: a chmod of a replaced directory before its tree run still removes its old files', async () => {
    // mv d d.old; mkdir d queues a "tree" change for d; a chmod of d before that run queued "upsert d", which
    // replaced the pending "tree" (newest change wins), so d went without recursion and d/old stayed (churn
    // seed 12, 400 ops: replace-dir, then chmod-dir while the target was backing off). Paused to fix the order.
    const { src, dst, engine } = await mirror(async (dir) => {
      await fs.mkdir(path.join(dir, 'd'));
      await fs.writeFile(path.join(dir, 'd/old'), 'old');
    });
    engine.pause();
    let next = released(engine, 'd', 'tree');
    await fs.rename(path.join(src, 'd'), path.join(src, 'd.old'));
    await fs.mkdir(path.join(src, 'd'));
    await next;
    next = released(engine, 'd', 'upsert');
    await fs.chmod(path.join(src, 'd'), 0o700);
    await next;
    engine.resume();
    await engine.whenIdle();
    await waitForConverge(src, dst); // was: extra on target: "d/old"
  });

  it('chokidar start: a long name that is not UTF-8 does not keep the pair from starting', async () => {
    // chokidar sees names as UTF-8 strings: 100 bytes 0xff become 300 bytes of U+FFFD, lstat failed with
    // ENAMETOOLONG during the initial scan, "ready" never came and addPair never resolved (no start-up sync).
    const src = await tempDir('rsync-live-churn-bug-');
    cleanups.push(() => fs.rm(src, { recursive: true, force: true }));
    const dst = await tempDir('rsync-live-churn-bug-dst-');
    cleanups.push(() => fs.rm(dst, { recursive: true, force: true }));
    await fs.writeFile(Buffer.from(`${src}/${'\xff'.repeat(100)}`, 'latin1'), 'x');
    const engine = new Engine();
    cleanups.push(() => Promise.race([engine.stop(), new Promise((r) => setTimeout(r, 2_000))]));
    const started = engine
      .addPair(pairConfig({ folder: src, watcher: 'chokidar', targets: [{ id: 'a', url: dst }] }))
      .then(() => 'started');
    const waited = new Promise((r) => setTimeout(() => r('still starting after 10 s'), 10_000));
    expect(await Promise.race([started, waited])).toBe('started');
    await waitForConverge(src, dst); // the start-up sync copies the name byte for byte
  });

  it('full sync, quick check: a same-size rewrite in the same second as the last sync is repaired', async () => {
    // Full syncs (start-up, after bursts, scheduled, chokidar's backstop) used rsync's quick check, which
    // compares whole seconds unless --modify-window=-1: same size + same second = "unchanged" (churn seed 1,
    // chokidar, 1 run in 8). No watcher here, so only the full sync can repair the target; the rewrite is
    // pinned into the second of the synced version, as happens when it lands within that second.
    const { src, dst, engine } = await mirror((dir) => fs.writeFile(path.join(dir, 'f'), 'version 1'), {
      watch: false,
    });
    const { mtimeMs } = await fs.stat(path.join(src, 'f'));
    await fs.writeFile(path.join(src, 'f'), 'version 2');
    const sameSecond = (Math.floor(mtimeMs / 1000) * 1000 + (((mtimeMs % 1000) + 500) % 1000)) / 1000;
    await fs.utimes(path.join(src, 'f'), sameSecond, sameSecond);
    engine.fullSync();
    await engine.whenIdle();
    await waitForConverge(src, dst, { timeoutMs: SETTLE_MS }); // was: differs: "f": sha256 ...
  });

  it('held deletion: a file or directory back before the delete guard let its deletion go stays on the target', async () => {
    // Deletions wait (250 ms) for the delete guard to judge them as a whole, while a name that is created
    // again goes out at once: the held deletion, released after it, deleted the new file (and a directory
    // deleted then created again kept its old contents).
    const { src, dst } = await mirror(
      async (dir) => {
        await fs.writeFile(path.join(dir, 'f'), 'old');
        await fs.mkdir(path.join(dir, 'd'));
        await fs.writeFile(path.join(dir, 'd', 'old-inside'), 'old');
      },
      { delayMs: 5 },
    );
    await fs.rm(path.join(src, 'f'));
    await fs.rm(path.join(src, 'd'), { recursive: true });
    await new Promise((r) => setTimeout(r, 60)); // released by the coalescer, held by the guard
    await fs.writeFile(path.join(src, 'f'), 'new');
    await fs.mkdir(path.join(src, 'd'));
    await fs.writeFile(path.join(src, 'd', 'new-inside'), 'new');
    await new Promise((r) => setTimeout(r, 600)); // past the hold
    await waitForConverge(src, dst, { timeoutMs: SETTLE_MS }); // was: missing on target: "f"
  });
});
