// End to end: the delete guard judges loss, not operations. A reorganisation (1,500 renames and moves of
// files and directories in a 2,000-entry folder, nothing deleted) never trips it, with the native inotify and
// the chokidar watcher, and the target converges; emptying a small folder propagates like any deletion.
import { appendFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import type { SyncError } from '../../electron/shared/state.js';
import { assertConverged, Churn, type ChurnOp, type OpKind } from '../helpers/churn.js';
import { manifest, waitForConverge } from '../helpers/manifest.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, pairConfig, tempDir } from '../helpers/engine-harness.js';

/**
 * 1,500 renames and moves by default (REORG_OPS changes it): measured 105 s (inotify) and 53 s (chokidar) on the
 * shared 2-core machine at a load average of about 20.
 * Fixed for issue 10: an incomplete move plan lost its old paths' deletions (retryIncompleteMoves), and a full
 * sync during the churn judged the old names still on the target as loss (DeleteGuard#judgeTargetExcess,
 * `observed`), and a real count racing the renames missed most of the folder (DeleteGuard#steadyCount, "1375 of
 * 2041 entries" with chokidar). The engine's log is kept for the failure message; REORG_LOG=FILE also writes it to a file.
 */
const OPS = Number(process.env['REORG_OPS'] ?? 1_500);
/** Only renames and moves: nothing the user would call a loss. */
const REORGANISE: Partial<Record<OpKind, number>> = Object.fromEntries(
  (
    [
      ['create', 0],
      ['overwrite-same-size', 0],
      ['overwrite-resize', 0],
      ['append', 0],
      ['truncate', 0],
      ['delete', 0],
      ['rename-file', 3],
      ['rename-file-across', 4],
      ['rename-file-over', 0],
      ['rename-dir', 4],
      ['rename-dir-across', 5],
      ['rename-dir-over-empty', 0],
      ['swap-dirs', 2],
      ['replace-dir', 0],
      ['rm-rf', 0],
      ['mkdir-p', 0],
      ['symlink-relative', 0],
      ['symlink-absolute', 0],
      ['symlink-dangling', 0],
      ['hard-link', 0],
      ['chmod-file', 0],
      ['chmod-dir', 0],
    ] as const
  ).map(([kind, weight]) => [kind, weight]),
);

/** 40 directories, some nested, of 50 files each: 2,040 entries. */
async function tree(root: string): Promise<number> {
  let entries = 0;
  for (let d = 0; d < 40; d++) {
    const dir = d % 4 === 0 ? path.join(root, `d${d}`) : path.join(root, `d${d - (d % 4)}`, `sub${d}`);
    await fs.mkdir(dir, { recursive: true });
    entries++;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => fs.writeFile(path.join(dir, `f${i}`), `${d}/${i}`)),
    );
    entries += 50;
  }
  return entries;
}

describe('delete guard: a reorganisation is no loss', () => {
  let daemon: RsyncDaemon;
  let work: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
    work = await tempDir('rsync-live-reorg-');
  });
  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(work, { recursive: true, force: true });
  });

  for (const watcher of ['inotify', 'chokidar'] as const) {
    it(`${OPS} renames and moves never trip the guard and the target converges (${watcher})`, async () => {
      const src = path.join(work, watcher);
      await fs.mkdir(src);
      expect(await tree(src)).toBe(2_040);
      const dest = path.join(daemon.modulePath, watcher);
      const engine = new Engine({});
      const guardFailures: SyncError[] = [];
      engine.on('failure', (f) => f.error.kind === 'delete-guard' && guardFailures.push(f.error));
      // The engine's log and every run, for the failure message (REORG_LOG=FILE also writes them to a file).
      const trail: string[] = [];
      const note = (line: string): void => {
        trail.push(`${new Date().toISOString()} ${line}`);
        if (process.env['REORG_LOG']) appendFileSync(process.env['REORG_LOG'], `${trail.at(-1)}\n`);
      };
      engine.on('log', (l) => note(`${l.level}: ${l.message}`));
      engine.on('batch-end', (b) =>
        note(
          `run ${b.runId} ${b.kind}: ${b.paths} paths, ${b.files} files, ${b.deleted} deleted, exit ${b.exitCode}${b.error ? `: ${b.error.message}` : ''}`,
        ),
      );
      try {
        await engine.addPair(
          pairConfig({
            folder: src,
            watcher,
            targets: [{ url: daemon.url(undefined, watcher), passwordFile: daemon.passwordFile }],
          }),
        );
        await engine.whenIdle();
        await waitForConverge(src, dest, { timeoutMs: 60_000 });

        const log: ChurnOp[] = [];
        const churn = await Churn.open(src, 7);
        const stats = await churn.run({ ops: OPS, weights: REORGANISE, onOp: (op) => log.push(op) });
        // Renames and moves only: the tree keeps (nearly) all its entries (stats may skip a few it could not model).
        expect(stats.entries).toBeGreaterThan(2_000);
        // chokidar misses some moves under load; its backstop is a full sync (the user's or the schedule's).
        if (watcher === 'chokidar') engine.fullSync();
        await assertConverged({
          seed: 7,
          src,
          targets: [{ name: 'daemon', path: dest }],
          timeoutMs: 120_000,
          ops: log,
          context: () =>
            `guard: ${JSON.stringify(engine.state().pairs[0]?.deleteGuard)}\nlast log lines:\n${trail.slice(-40).join('\n')}`,
        });
        await engine.whenIdle();
        expect(engine.state().pairs[0]?.deleteGuard ?? null).toBeNull();
        expect(guardFailures).toEqual([]);
        // Moved entries sent under their new names by a full sync are no data the target lost.
        expect(engine.state().pairs[0]?.targets[0]?.lost ?? null).toBeNull();
        expect((await manifest(dest)).size).toBe((await manifest(src)).size);
      } finally {
        await engine.stop();
      }
    }, 300_000);
  }

  it('emptying a small folder (the last file deleted) propagates like any deletion', async () => {
    const src = path.join(work, 'small');
    await fs.mkdir(src);
    const dest = path.join(daemon.modulePath, 'small');
    const engine = new Engine({});
    try {
      await engine.addPair(
        pairConfig({
          folder: src,
          targets: [{ url: daemon.url(undefined, 'small'), passwordFile: daemon.passwordFile }],
        }),
      );
      await engine.whenIdle();
      await fs.writeFile(path.join(src, 'test.txt'), 'a test');
      await eventually(async () => expect((await manifest(dest)).size).toBe(1));
      await fs.rm(path.join(src, 'test.txt'));
      await eventually(async () => expect((await manifest(dest)).size).toBe(0));
      await engine.whenIdle();
      expect(engine.state().pairs[0]?.deleteGuard ?? null).toBeNull();
    } finally {
      await engine.stop();
    }
  });
});
