// Runs pairs for the CLI's watch, run and sersync commands: prints one line per batch and every error, and
// stops on the stop signal (or, with once, after every full sync) within STOP_GRACE_MS. Answers the exit
// status. The engine takes the lock of every folder+target (engine/target-lock.ts): a target another
// rsync-live runs is left out with an error naming it, and when that leaves nothing to run, the exit is 75.
import { Engine, withoutRetry, type EnginePairConfig } from '../engine/index.js';
import { releaseMemoryAfterFullSyncs } from '../engine/release-memory.js';
import type { EngineState, SyncError } from '../shared/state.js';
import type { Teardown } from '../sersync/index.js';
import { defaultStateDir } from '../service/xdg-dirs.js';
import { EXIT, type CliIo } from './command.js';
import { formatBatch } from './format.js';
import { fullHeapReason, relaunchWithFullHeap } from './heap-flags.js';
import { stopWithin } from './stop-signal.js';

export interface RunPairsOptions {
  once: boolean;
  quiet: boolean;
  /** Unfinished queues, tripped guards, first syncs and the locks (default: the XDG state directory). */
  stateDir?: string | null;
  confirmDeletions?: boolean;
  /** A new pair keeps what its targets already hold that the folder doesn't (merge). */
  keepExisting?: boolean;
}

/** The command line as the lock shows it (arguments never hold a password: URLs with one are refused). */
export function commandLine(): string {
  return ['rsync-live', ...process.argv.slice(2)].join(' ');
}

/**
 * The password a target without one of its own uses: RSYNC_PASSWORD from the environment, as rsync itself
 * would (for watch, run --config and sersync alike). A password file, when given, wins.
 */
export function withEnvPassword(configs: EnginePairConfig[], env: CliIo['env']): EnginePairConfig[] {
  const password = env.RSYNC_PASSWORD;
  if (!password) return configs;
  return configs.map((config) => ({
    ...config,
    targets: config.targets.map((target) =>
      target.passwordFile || target.password ? target : { ...target, password },
    ),
  }));
}

/** Runs pairs until a signal (or, with once, until every full sync is done). Returns the exit status. */
export async function runPairs(
  given: EnginePairConfig[],
  options: RunPairsOptions,
  io: CliIo,
  stopSignal: Promise<string>,
  setup?: (engine: Engine) => Promise<Teardown>,
): Promise<number> {
  const configs = withEnvPassword(given, io.env);
  // chokidar gains nothing from the bin's small-heap flags and pays CPU for them: run once more without them.
  if (fullHeapReason(options.once ? [] : configs, io.env)) return relaunchWithFullHeap();
  // --once keeps its state too: a tripped guard and a pair's first sync are remembered between runs.
  const engine = new Engine({
    stateDir: options.stateDir ?? null,
    lockDir: options.stateDir ?? defaultStateDir(io.env),
    lockHolder: commandLine(),
  });
  const labels = new Map<string, string>();
  let worstExit: number = EXIT.ok;
  engine.on('log', (entry) => {
    if (entry.level === 'info' && !options.quiet)
      io.out(entry.pairId ? `[${entry.pairId}] ${entry.message}` : entry.message);
  });
  engine.on('failure', ({ pairId, error }) => {
    // A one-shot run does not retry: its messages must not promise it.
    io.err(`error: [${pairId}] ${options.once ? withoutRetry(error.message) : error.message}`);
    // Deletions waiting for the user are counted once the run is over (EXIT.waiting), not as failures.
    const waiting = error.kind === 'delete-guard' || error.kind === 'target-not-empty';
    if (options.once && !waiting) worstExit = worstExit || exitFor(error);
  });
  engine.on('batch-end', (summary) => {
    if (options.once && !summary.ok) worstExit = worstExit || (summary.exitCode ?? EXIT.failure);
    if (!options.quiet || !summary.ok) {
      const key = `${summary.pairId}/${summary.targetId}`;
      if (!labels.has(key)) {
        const target = engine
          .state()
          .pairs.find((p) => p.id === summary.pairId)
          ?.targets.find((t) => t.id === summary.targetId);
        labels.set(key, target?.url ?? summary.targetId);
      }
      io.out(formatBatch(summary, labels.get(key) as string));
    }
  });
  // What a full sync (the start-up one above all) needed goes back to the system once it is over.
  const stopRelease = options.once ? null : releaseMemoryAfterFullSyncs(engine);
  const teardown = await setup?.(engine);
  for (const config of configs) {
    await engine.addPair(config, {
      watch: !options.once,
      confirmDeletions: options.confirmDeletions ?? false,
      keepExisting: options.keepExisting ?? false,
    });
  }
  if (lockedOut(engine.state())) {
    // Every target runs in another rsync-live (each error, naming it, is printed above): nothing to do here.
    stopRelease?.();
    await engine.stop();
    await teardown?.();
    return EXIT.locked;
  }
  if (options.once) {
    await engine.whenIdle();
    const state = engine.state();
    for (const pair of state.pairs) {
      if (pair.watcher.error) worstExit = worstExit || EXIT.failure;
      for (const target of pair.targets) {
        if (target.existing) {
          io.err(`entries on ${target.url} that are not in ${pair.folder} (${target.existing.entries}):`);
          for (const p of target.existing.paths) io.err(`  ${p}`);
          worstExit = worstExit || EXIT.waiting;
        } else if (target.error) worstExit = worstExit || exitFor(target.error);
      }
      if (pair.deleteGuard) {
        io.err(`held deletions of ${pair.folder} (${pair.deleteGuard.held} entries):`);
        for (const p of pair.deleteGuard.paths) io.err(`  ${p}`);
        worstExit = worstExit || EXIT.waiting;
      }
    }
    await engine.stop();
    await teardown?.();
    return worstExit;
  }
  const signal = await stopSignal;
  io.out(`received ${signal}: stopping (waiting up to 10 s for transfers in flight)`);
  stopRelease?.();
  await stopWithin(() => engine.stop());
  await teardown?.();
  return EXIT.ok;
}

/** The exit status of a failure: 75 for a target another rsync-live runs, else rsync's or 1. */
function exitFor(error: SyncError): number {
  return error.kind === 'in-use' ? EXIT.locked : (error.exitCode ?? EXIT.failure);
}

/** Every target of every pair is held by another rsync-live. */
function lockedOut(state: EngineState): boolean {
  const targets = state.pairs.flatMap((pair) => pair.targets);
  return targets.length > 0 && targets.every((target) => target.error?.kind === 'in-use');
}
