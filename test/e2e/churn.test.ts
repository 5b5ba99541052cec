// End to end, "nothing lost": a seeded random churn (test/helpers/churn.ts) runs against a folder while a real
// Engine mirrors it to two real rsync daemons; afterwards both targets must be byte-, mode- and link-identical to
// the folder. A failure names the seed, the first differences and the ops that touched them. Seeds and size:
// CHURN_SEEDS=1,2,3 CHURN_OPS=400 (defaults); `npm run soak` runs the same churn for much longer. Operations that
// still trigger open engine bugs stay out of the churn (knownEngineBugTriggers, listed in docs/reliability.md);
// CHURN_KNOWN_BUGS=1 runs into them anyway.
import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/index.js';
import type { SyncError } from '../../electron/shared/state.js';
import { assertConverged, Churn, formatOp, knownEngineBugTriggers, type ChurnOp } from '../helpers/churn.js';
import { pairConfig, tempDir } from '../helpers/engine-harness.js';
import { startRsyncDaemon } from '../helpers/rsync-daemon.js';

const SEEDS = (process.env['CHURN_SEEDS'] ?? '1,2,3').split(',').map((s) => Number(s.trim()));
const OPS = Number(process.env['CHURN_OPS'] ?? 400);
/**
 * Per target. Usually 0.5-5 s after the churn; but runs that race the churn fail with rsync exit 24 ("vanished")
 * and, after three in a row, the engine backs off exponentially (up to 60 s, plus jitter) before it sends the
 * rest: 17 s was seen after 400 ops. The bound covers the longest backoff on a loaded 2-core machine.
 */
const CONVERGE_MS = 90_000;
/** Room for the churn, both targets' convergence and the clean-up, on top of the bounds above. */
const TEST_MS = 2 * CONVERGE_MS + 60_000;
/** The engine verifies a burst of at least this many paths with a full sync (EngineOptions.burstVerifyPaths). */
const BURST_VERIFY_PATHS = 1_000;

/**
 * What triggers the engine bugs the churn found and that are still open stays out of the churn
 * (knownEngineBugTriggers in the churn helper; the assertions are unchanged). CHURN_KNOWN_BUGS=1 runs into
 * them anyway.
 */
const RUN_INTO_KNOWN_BUGS = process.env['CHURN_KNOWN_BUGS'] === '1';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

type Watcher = 'inotify' | 'chokidar';

interface Scenario {
  seed: number;
  ops: number;
  watcher: Watcher;
}

async function churnAndConverge({ seed, ops, watcher }: Scenario): Promise<void> {
  const [a, b] = await Promise.all([startRsyncDaemon({ socketNodelay: true }), startRsyncDaemon()]);
  cleanups.push(() => Promise.all([a.dispose(), b.dispose()]));
  const src = await tempDir('rsync-live-churn-');
  cleanups.push(() => fs.rm(src, { recursive: true, force: true }));

  const triggers = RUN_INTO_KNOWN_BUGS ? {} : knownEngineBugTriggers();
  const log: ChurnOp[] = [];
  const churn = await Churn.open(src, seed);
  // A tree exists before the engine starts, so the start-up full sync has work to do while the churn goes on.
  await churn.run({
    ...triggers,
    ops: Math.ceil(ops / 8),
    pauseChance: 0,
    onOp: (op) => log.push(op),
  });

  // For inotify the burst verification is off: it would repair what the watcher missed and hide it, and
  // inotify must need no help (docs/architecture.md). chokidar keeps the default, which is what it relies on.
  const engine = new Engine({ burstVerifyPaths: watcher === 'inotify' ? 0 : BURST_VERIFY_PATHS });
  cleanups.push(() => engine.stop());
  const failures: SyncError[] = [];
  engine.on('failure', (f) => failures.push(f.error));
  const batches: string[] = []; // target a's runs, for the failure message
  engine.on('batch-end', (x) => {
    if (x.targetId === 'a')
      batches.push(`+${x.at.slice(11)} ${x.kind} ${x.paths}p ${x.files}f exit ${x.exitCode} ${x.ms}ms`);
  });
  // Paths released since the last full sync started, as the engine's burst counter sees them (it may reset a
  // little earlier than this, so this never over-counts).
  let sinceFullSync = 0;
  engine.on('changes', (c) => (sinceFullSync += c.changes.length));
  engine.on('batch-start', (s) => {
    if (s.kind === 'full' && s.targetId === 'a') sinceFullSync = 0;
  });
  await engine.addPair(
    pairConfig(
      {
        folder: src,
        watcher,
        targets: [
          { id: 'a', url: a.url(), passwordFile: a.passwordFile },
          { id: 'b', url: b.url() },
        ],
      },
      { b: b.password },
    ),
  );

  // No waiting for the start-up full sync: the churn races it.
  const started = Date.now();
  const stats = await churn.run({ ...triggers, ops, onOp: (op) => log.push(op) });
  const churnMs = Date.now() - started;

  const backstop =
    watcher === 'inotify' ? 'none' : sinceFullSync < BURST_VERIFY_PATHS ? 'requested' : 'burst';
  if (backstop === 'requested') {
    // chokidar misses chmod, dangling symlinks at the top, non-UTF-8 names and (under load) whole directories;
    // the engine's backstop for that is the full sync after a burst of >= 1,000 paths. This churn released
    // fewer, so no burst verification will come on its own: ask for the full sync a user (or the schedule)
    // would. With >= 1,000 paths the test waits for the engine's own verification instead.
    engine.fullSync();
  }

  const state = () => {
    const pair = engine.state().pairs[0];
    const targets = pair?.targets.map(
      (t) =>
        `${t.id}: ${t.status}, queued ${t.queued}, in flight ${t.inFlight}, full sync ${t.fullSyncRunning}` +
        (t.error ? `, error ${t.error.kind}: ${t.error.message}` : ''),
    );
    return [
      `engine: watcher ${pair?.watcher.backend} (${pair?.watcher.directories} dirs), ${targets?.join('; ')}`,
      `churn: ${JSON.stringify(stats)}, ${churnMs} ms, ${sinceFullSync} paths since the last full sync`,
      `failures during the run: ${failures.map((f) => `${f.kind}: ${f.message}`).join(' | ') || 'none'}`,
      `churn ended ${new Date(started + churnMs).toISOString().slice(11)}; target a runs: ${batches.slice(-12).join('; ')}`,
      `last ops:\n  ${log.slice(-5).map(formatOp).join('\n  ')}`,
    ].join('\n');
  };

  const converging = Date.now();
  await assertConverged({
    seed,
    src,
    targets: [
      { name: 'a', path: a.modulePath },
      { name: 'b', path: b.modulePath },
    ],
    timeoutMs: CONVERGE_MS,
    ops: log,
    context: state,
  });
  const kinds = [...new Set(failures.map((f) => f.kind))].join(', ');
  const attempts = Math.max(0, ...failures.map((f) => f.attempts));
  console.log(
    `churn seed ${seed} (${watcher}): ${stats.applied} ops applied (${stats.skipped} skipped) in ${churnMs} ms, ` +
      `${stats.entries} entries; converged ${Date.now() - converging} ms later (full sync: ${backstop}); ` +
      `${failures.length} failure event(s)${failures.length > 0 ? ` (${kinds}; up to attempt ${attempts})` : ''}`,
  );
  // Transient failures (a run racing a rename, retried with backoff) are allowed; a stopped target is not.
  expect(failures.filter((f) => f.class === 'config')).toEqual([]);
}

describe('randomized churn: nothing lost (inotify watcher)', () => {
  for (const seed of SEEDS) {
    it(
      `seed ${seed}: ${OPS} ops, both targets identical to the folder`,
      async () => {
        await churnAndConverge({ seed, ops: OPS, watcher: 'inotify' });
      },
      TEST_MS,
    );
  }
});

describe('randomized churn: nothing lost (chokidar watcher, full-sync backstop)', () => {
  const seed = SEEDS[0] ?? 1;
  it(
    `seed ${seed}: ${OPS} ops, both targets identical to the folder`,
    async () => {
      await churnAndConverge({ seed, ops: OPS, watcher: 'chokidar' });
    },
    TEST_MS,
  );
});
