// Soak runner: a long seeded churn (test/helpers/churn.ts) against a real Engine and real rsync daemons on
// loopback, in chunks; after each chunk every target must become byte-, mode- and link-identical to the folder.
// Prints progress (ops/s, queue depth per target) and exits 1 with the seed and the first differences on a
// divergence. Not part of the tests.
//
//   npm run soak -- --ops 100000 [--seed N] [--targets 2] [--watcher inotify|chokidar] [--chunk 2000]
//                   [--converge-timeout 120] [--max-entries 1500] [--burst-verify N] [--known-bugs] [--delete-guard]
//
// --burst-verify: the engine's burst verification threshold (EngineOptions.burstVerifyPaths); default 0 (off)
//   for inotify, so that what the watcher misses is not repaired silently, and 1000 (the engine default) for
//   chokidar, which relies on it. --known-bugs: also what triggers the engine bugs that are still open
//   (knownEngineBugTriggers in test/helpers/churn.ts, tests in test/e2e/churn.test.ts).
// --delete-guard: keep the pair's delete guard on. It holds deletions when a minute's worth of them would remove
//   more than half the folder, which a small churning tree does all the time; off by default.
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Engine } from '../electron/engine/index.js';
import type { SyncError } from '../electron/shared/state.js';
import {
  assertConverged,
  Churn,
  formatOp,
  knownEngineBugTriggers,
  type ChurnOp,
  type ChurnRunOptions,
} from '../test/helpers/churn.js';
import { pairConfig, tempDir } from '../test/helpers/engine-harness.js';
import { startRsyncDaemon, type RsyncDaemon } from '../test/helpers/rsync-daemon.js';

const USAGE =
  'usage: npm run soak -- --ops N [--seed N] [--targets N] [--watcher inotify|chokidar] [--chunk N] ' +
  '[--converge-timeout SEC] [--max-entries N] [--burst-verify N] [--known-bugs] [--delete-guard]';

function options() {
  const { values } = parseArgs({
    options: {
      ops: { type: 'string', default: '100000' },
      seed: { type: 'string' },
      targets: { type: 'string', default: '2' },
      watcher: { type: 'string', default: 'inotify' },
      chunk: { type: 'string', default: '2000' },
      'converge-timeout': { type: 'string', default: '120' },
      'max-entries': { type: 'string', default: '1500' },
      'burst-verify': { type: 'string' },
      'known-bugs': { type: 'boolean', default: false },
      'delete-guard': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string | undefined, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return n;
  };
  const watcher = values.watcher;
  if (watcher !== 'inotify' && watcher !== 'chokidar')
    throw new Error('--watcher must be inotify or chokidar');
  return {
    help: values.help,
    ops: int('ops', values.ops, 1),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : int('seed', values.seed, 0),
    targets: int('targets', values.targets, 1),
    watcher: watcher as 'inotify' | 'chokidar',
    chunk: int('chunk', values.chunk, 1),
    convergeMs: int('converge-timeout', values['converge-timeout'], 1) * 1000,
    maxEntries: int('max-entries', values['max-entries'], 10),
    burstVerify:
      values['burst-verify'] === undefined
        ? watcher === 'chokidar'
          ? 1000
          : 0
        : int('burst-verify', values['burst-verify'], 0),
    knownBugs: values['known-bugs'],
    deleteGuard: values['delete-guard'],
  };
}

const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

async function main(): Promise<number> {
  let opts: ReturnType<typeof options>;
  try {
    opts = options();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { seed } = opts;
  const churnOptions: Partial<ChurnRunOptions> = {
    ...(opts.knownBugs ? {} : knownEngineBugTriggers()),
    maxEntries: opts.maxEntries,
  };
  log(
    `soak: seed ${seed}, ${opts.ops} ops in chunks of ${opts.chunk}, ${opts.targets} target(s), ` +
      `${opts.watcher} watcher, burst verification ${opts.burstVerify || 'off'}, ` +
      `delete guard ${opts.deleteGuard ? 'on' : 'off'}${opts.knownBugs ? ', into known bugs' : ''}`,
  );

  const daemons: RsyncDaemon[] = [];
  const dirs: string[] = [];
  let engine: Engine | undefined;
  const cleanup = async (): Promise<void> => {
    await engine?.stop().catch(() => undefined);
    await Promise.all(daemons.map((d) => d.dispose().catch(() => undefined)));
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    for (let i = 0; i < opts.targets; i++) daemons.push(await startRsyncDaemon({ socketNodelay: true }));
    const src = await tempDir('rsync-live-soak-');
    dirs.push(src);

    const ops: ChurnOp[] = [];
    const keepOps = 20_000; // enough history to explain a divergence, bounded memory
    const record = (op: ChurnOp): void => {
      ops.push(op);
      if (ops.length > keepOps * 1.5) ops.splice(0, ops.length - keepOps);
    };
    const churn = await Churn.open(src, seed);
    // Like the test: a tree exists before the engine starts, and the start-up full sync races the churn.
    await churn.run({
      ...churnOptions,
      ops: Math.min(500, Math.ceil(opts.chunk / 8)),
      pauseChance: 0,
      onOp: record,
    });

    engine = new Engine({ burstVerifyPaths: opts.burstVerify });
    const failures = new Map<string, number>();
    let maxAttempt = 0;
    const configFailures: SyncError[] = [];
    engine.on('failure', (f) => {
      failures.set(f.error.kind, (failures.get(f.error.kind) ?? 0) + 1);
      maxAttempt = Math.max(maxAttempt, f.error.attempts);
      if (f.error.class === 'config') configFailures.push(f.error);
    });
    let runs = 0;
    let fullSyncs = 0;
    engine.on('batch-end', (b) => {
      runs++;
      if (b.kind === 'full') fullSyncs++;
    });
    let sinceFullSync = 0;
    engine.on('changes', (c) => (sinceFullSync += c.changes.length));
    engine.on('batch-start', (b) => {
      if (b.kind === 'full' && b.targetId === 't1') sinceFullSync = 0;
    });
    const ids = daemons.map((_, i) => `t${i + 1}`);
    await engine.addPair(
      pairConfig(
        {
          folder: src,
          watcher: opts.watcher,
          targets: daemons.map((d, i) => ({ id: ids[i], url: d.url() })),
          ...(opts.deleteGuard ? {} : { deleteGuard: { enabled: false } }),
        },
        Object.fromEntries(daemons.map((d, i) => [ids[i], d.password])),
      ),
    );

    const depth = (): string =>
      (engine?.state().pairs[0]?.targets ?? [])
        .map((t) => `${t.id} ${t.status} q${t.queued}+${t.inFlight}`)
        .join(', ');
    const started = Date.now();
    let done = 0;
    let churnMs = 0;
    let worstConvergeMs = 0;
    while (done < opts.ops) {
      const n = Math.min(opts.chunk, opts.ops - done);
      const chunkStart = Date.now();
      let lastPrint = chunkStart;
      let inChunk = 0;
      await churn.run({
        ...churnOptions,
        ops: n,
        onOp: (op) => {
          record(op);
          inChunk++;
          const now = Date.now();
          if (now - lastPrint >= 2_000) {
            lastPrint = now;
            const rate = Math.round((inChunk / (now - chunkStart)) * 1000);
            log(`  ${done + inChunk} ops, ${rate} ops/s, ${churn.entries} entries; ${depth()}`);
          }
        },
      });
      done += n;
      const chunkMs = Date.now() - chunkStart;
      churnMs += chunkMs;
      if (opts.watcher === 'chokidar' && sinceFullSync < opts.burstVerify) {
        // Fewer paths than a burst: no verification comes on its own (see the churn test), so ask for it.
        engine.fullSync();
      }
      const converging = Date.now();
      const queued = depth();
      await assertConverged({
        seed,
        src,
        targets: daemons.map((d, i) => ({ name: ids[i] as string, path: d.modulePath })),
        timeoutMs: opts.convergeMs,
        ops,
        context: () =>
          [
            `after ${done} ops (chunk of ${n}); engine: ${depth()}`,
            ...(engine?.state().pairs[0]?.targets ?? []).flatMap((t) =>
              t.error
                ? [`${t.id} error (${t.error.kind}, attempt ${t.error.attempts}): ${t.error.message}`]
                : [],
            ),
            `failures so far: ${[...failures].map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}`,
            `last ops:\n  ${ops.slice(-5).map(formatOp).join('\n  ')}`,
          ].join('\n'),
      });
      const convergeMs = Date.now() - converging;
      worstConvergeMs = Math.max(worstConvergeMs, convergeMs);
      log(
        `chunk done: ${done}/${opts.ops} ops, ${Math.round((n / chunkMs) * 1000)} ops/s, ` +
          `${churn.entries} entries, queue at chunk end: ${queued}; converged ${convergeMs} ms later` +
          (maxAttempt > 0 ? ` (retry attempts so far up to ${maxAttempt})` : ''),
      );
      if (configFailures.length > 0) {
        throw new Error(
          `seed ${seed}: a target stopped or the pair needs the user:\n  ` +
            configFailures.map((f) => `${f.kind}: ${f.message}`).join('\n  '),
        );
      }
    }
    const totalS = (Date.now() - started) / 1000;
    log(
      `OK: seed ${seed}, ${done} ops in ${totalS.toFixed(1)} s (${Math.round(done / (churnMs / 1000))} ops/s ` +
        `while churning), ${runs} rsync runs (${fullSyncs} full), slowest convergence ${worstConvergeMs} ms, ` +
        `failures: ${[...failures].map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}` +
        (maxAttempt > 0 ? ` (retry attempts up to ${maxAttempt})` : ''),
    );
    return 0;
  } catch (error) {
    const message = (error as Error).message;
    const what = message.startsWith(`seed ${seed}`) ? 'DIVERGED' : 'FAILED';
    log(`${what} (seed ${seed}; rerun with --seed ${seed}):\n${message}`);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();
