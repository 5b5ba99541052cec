// The `rsync-live` command line: watch, run, serve, sersync. A thin shell over the engine: parses arguments,
// builds pair configs, prints one line per batch and every error, and maps SIGINT/SIGTERM to a clean stop.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, loadConfigFile, withoutRetry, type EnginePairConfig } from '../engine/index.js';
import { formatIssues, pairSchema, type PairConfigInput } from '../shared/config.js';
import { runServe } from '../server/serve.js';
import { isXmlConfigFile, runSersyncFile, sersyncCommand, type Teardown } from '../sersync/index.js';
import { formatBatch } from './format.js';
import { confirmDeletionsCommand, deletionsCommand, GUARD_USAGE, GuardUsageError } from './guard-commands.js';
import { untilStopSignal } from './stop-signal.js';
import { defaultStateDir } from '../service/xdg-dirs.js';
import { DEFAULT_DELAY_MS, DEFAULT_MAX_DELAY_MS } from '../shared/timing.js';

const USAGE = `Usage:
  rsync-live watch <folder> <target>... [options]   mirror a folder in real time
  rsync-live run --config FILE [--once]              run every pair of a JSON config file (or a sersync confxml.xml)
  rsync-live serve [--config FILE] [--listen 127.0.0.1:PORT] [--no-open]   engine + web UI on loopback
  rsync-live sersync -r -o confxml.xml [-n N] [-m plugin] [-d]  run a sersync configuration
  rsync-live deletions FOLDER                        show what the delete guard holds for a folder
  rsync-live confirm-deletions FOLDER                let them go (answers a running rsync-live, no restart)

Targets: rsync://[user@]host[:port]/module[/path], [user@]host::module[/path], [user@]host:path (ssh),
         or an absolute local directory.

watch options:
  --password-file FILE   daemon password file (mode 0600); RSYNC_PASSWORD is honoured too
  --exclude REGEX        skip paths whose relative path matches (sersync style, repeatable)
  --exclude-glob GLOB    skip paths matching a glob (repeatable)
  --no-delete            never delete on the target (backup mode)
  --versions             keep replaced and deleted files on the target in .rsync-live-versions/DATE
  --delay MS             quiet period before a changed path is sent (default ${DEFAULT_DELAY_MS}; files still being
                         written wait longer, up to 1 s of quiet)
  --max-delay MS         longest a path waits while it keeps changing (default ${DEFAULT_MAX_DELAY_MS})
  --bwlimit KIB          bandwidth limit per rsync run, KiB/s
  --timeout SEC          rsync I/O timeout (default 60)
  --rsync-option OPT     extra rsync option, e.g. --rsync-option=--numeric-ids (repeatable)
  --watcher NAME         inotify (default) or chokidar
  --no-initial-sync      skip the start-up full sync
  --state-dir DIR        where unfinished queues survive restarts (default ~/.local/state/rsync-live)
  --confirm-deletions    allow the deletions the delete guard held back (the folder was replaced, gone or
                         lost most of its entries), and on a new pair delete what the target holds that
                         the folder doesn't: the start-up sync mirrors the folder exactly as it is now
  --keep-existing        on a new pair, keep what the target already holds that the folder doesn't (merge):
                         those entries are never deleted (without this or --confirm-deletions, the first
                         sync deletes nothing there and asks)
  --once                 run one full sync per target and exit with rsync's status (3: deletions wait for
                         your confirmation; nothing was deleted)
  -q, --quiet            print errors only
`;

export class UsageError extends Error {}

/** `--once` exit status when deletions wait for the user's confirmation (nothing was deleted). */
export const WAITING_FOR_CONFIRMATION = 3;

type Log = (line: string) => void;

export interface CliIo {
  out: Log;
  err: Log;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} takes a whole number, got "${value}"`);
  return Number(value);
}

export function watchConfig(
  argv: string[],
  io: Pick<CliIo, 'env' | 'cwd'>,
): {
  config: EnginePairConfig;
  once: boolean;
  quiet: boolean;
  stateDir: string;
  confirmDeletions: boolean;
  keepExisting: boolean;
} {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'password-file': { type: 'string' },
      exclude: { type: 'string', multiple: true },
      'exclude-glob': { type: 'string', multiple: true },
      'no-delete': { type: 'boolean' },
      versions: { type: 'boolean' },
      delay: { type: 'string' },
      'max-delay': { type: 'string' },
      bwlimit: { type: 'string' },
      timeout: { type: 'string' },
      'rsync-option': { type: 'string', multiple: true },
      watcher: { type: 'string' },
      'no-initial-sync': { type: 'boolean' },
      'state-dir': { type: 'string' },
      'confirm-deletions': { type: 'boolean' },
      'keep-existing': { type: 'boolean' },
      once: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  const [folder, ...targets] = positionals;
  if (values['confirm-deletions'] && values['keep-existing'])
    throw new UsageError('--confirm-deletions and --keep-existing exclude each other');
  if (!folder || targets.length === 0) throw new UsageError('watch needs a folder and at least one target');
  if (values['no-delete'] && values.versions)
    throw new UsageError('--no-delete and --versions exclude each other');
  const passwordFile = values['password-file'] ? path.resolve(io.cwd, values['password-file']) : undefined;
  const envPassword = passwordFile ? undefined : io.env.RSYNC_PASSWORD;
  const input: PairConfigInput = {
    id: 'watch',
    name: path.basename(path.resolve(io.cwd, folder)),
    folder: path.resolve(io.cwd, folder),
    targets: targets.map((url, index) => ({
      id: `t${index + 1}`,
      url,
      ...(passwordFile ? { passwordFile } : {}),
    })),
    deletion: values['no-delete'] ? 'keep' : values.versions ? 'versions' : 'mirror',
    excludes: { regex: values.exclude ?? [], glob: values['exclude-glob'] ?? [], defaultTemporary: true },
    delayMs: intOption(values.delay, 'delay'),
    maxDelayMs: intOption(values['max-delay'], 'max-delay'),
    fullSync: { onStart: !values['no-initial-sync'], schedule: null, excludes: [] },
    rsync: {
      extraArgs: values['rsync-option'] ?? [],
      timeoutSec: intOption(values.timeout, 'timeout') ?? 60,
      contimeoutSec: 15,
      bwlimitKiB: intOption(values.bwlimit, 'bwlimit') ?? 0,
    },
    watcher: values.watcher as 'inotify' | 'chokidar' | undefined,
  };
  const parsed = pairSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error));
  const config: EnginePairConfig = {
    ...parsed.data,
    targets: parsed.data.targets.map((target) =>
      envPassword ? { ...target, password: envPassword } : target,
    ),
  };
  return {
    config,
    once: values.once ?? false,
    quiet: values.quiet ?? false,
    stateDir: values['state-dir'] ? path.resolve(io.cwd, values['state-dir']) : defaultStateDir(io.env),
    confirmDeletions: values['confirm-deletions'] ?? false,
    keepExisting: values['keep-existing'] ?? false,
  };
}

/** Runs pairs until a signal (or, with once, until every full sync is done). Returns the exit status. */
export async function runPairs(
  configs: EnginePairConfig[],
  options: {
    once: boolean;
    quiet: boolean;
    stateDir?: string | null;
    confirmDeletions?: boolean;
    keepExisting?: boolean;
  },
  io: CliIo,
  stopSignal: Promise<string>,
  setup?: (engine: Engine) => Promise<Teardown>,
): Promise<number> {
  // --once keeps its state too: a tripped guard and a pair's first sync are remembered between runs.
  const engine = new Engine({ stateDir: options.stateDir ?? null });
  const labels = new Map<string, string>();
  let worstExit = 0;
  engine.on('log', (entry) => {
    if (entry.level === 'info' && !options.quiet)
      io.out(entry.pairId ? `[${entry.pairId}] ${entry.message}` : entry.message);
  });
  engine.on('failure', ({ pairId, error }) => {
    // A one-shot run does not retry: its messages must not promise it.
    io.err(`error: [${pairId}] ${options.once ? withoutRetry(error.message) : error.message}`);
    // Deletions waiting for the user are counted once the run is over (exit 3), not as failures.
    const waiting = error.kind === 'delete-guard' || error.kind === 'target-not-empty';
    if (options.once && !waiting) worstExit = worstExit || (error.exitCode ?? 1);
  });
  engine.on('batch-end', (summary) => {
    if (options.once && !summary.ok) worstExit = worstExit || (summary.exitCode ?? 1);
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
  const teardown = await setup?.(engine);
  for (const config of configs) {
    await engine.addPair(config, {
      watch: !options.once,
      confirmDeletions: options.confirmDeletions ?? false,
      keepExisting: options.keepExisting ?? false,
    });
  }
  if (options.once) {
    await engine.whenIdle();
    const state = engine.state();
    for (const pair of state.pairs) {
      if (pair.watcher.error) worstExit = worstExit || 1;
      for (const target of pair.targets) {
        if (target.existing) {
          io.err(`entries on ${target.url} that are not in ${pair.folder} (${target.existing.entries}):`);
          for (const p of target.existing.paths) io.err(`  ${p}`);
          worstExit = worstExit || WAITING_FOR_CONFIRMATION;
        } else if (target.error) worstExit = worstExit || (target.error.exitCode ?? 1);
      }
      if (pair.deleteGuard) {
        io.err(`held deletions of ${pair.folder} (${pair.deleteGuard.held} entries):`);
        for (const p of pair.deleteGuard.paths) io.err(`  ${p}`);
        worstExit = worstExit || WAITING_FOR_CONFIRMATION;
      }
    }
    await engine.stop();
    await teardown?.();
    return worstExit;
  }
  const signal = await stopSignal;
  io.out(`received ${signal}: stopping (waiting up to 10 s for transfers in flight)`);
  await Promise.race([engine.stop(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  await teardown?.();
  return 0;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const beforeDashes = rest.indexOf('--') === -1 ? rest : rest.slice(0, rest.indexOf('--'));
  if (beforeDashes.includes('--help') || beforeDashes.includes('-h')) {
    io.out(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'watch': {
        const { config, ...options } = watchConfig(rest, io);
        return await runPairs([config], options, io, untilStopSignal());
      }
      case 'run': {
        const { values } = parseArgs({
          args: rest,
          options: {
            config: { type: 'string', short: 'c' },
            once: { type: 'boolean' },
            quiet: { type: 'boolean', short: 'q' },
            'state-dir': { type: 'string' },
            'confirm-deletions': { type: 'boolean' },
            'keep-existing': { type: 'boolean' },
          },
        });
        if (!values.config) throw new UsageError('run needs --config FILE');
        const configFile = path.resolve(io.cwd, values.config);
        if (await isXmlConfigFile(configFile)) {
          const stateDir = values['state-dir']
            ? path.resolve(io.cwd, values['state-dir'])
            : defaultStateDir(io.env);
          const options = {
            startupSync: true,
            once: values.once ?? false,
            quiet: values.quiet ?? false,
            confirmDeletions: values['confirm-deletions'] ?? false,
            keepExisting: values['keep-existing'] ?? false,
          };
          return await runSersyncFile(configFile, options, io, (configs, opts, setup) =>
            runPairs(configs, { ...opts, stateDir }, io, untilStopSignal(), setup),
          );
        }
        const file = await loadConfigFile(configFile);
        if (file.pairs.length === 0) throw new UsageError(`config ${values.config} has no pairs`);
        return await runPairs(
          file.pairs,
          {
            once: values.once ?? false,
            quiet: values.quiet ?? false,
            stateDir: values['state-dir']
              ? path.resolve(io.cwd, values['state-dir'])
              : defaultStateDir(io.env),
            confirmDeletions: values['confirm-deletions'] ?? false,
            keepExisting: values['keep-existing'] ?? false,
          },
          io,
          untilStopSignal(),
        );
      }
      case 'serve':
        return await runServe(rest, io);
      case 'deletions':
        return await deletionsCommand(rest, io);
      case 'confirm-deletions':
        return await confirmDeletionsCommand(rest, io);
      case 'sersync':
        return await sersyncCommand(
          rest,
          { ...io, stateDir: defaultStateDir(io.env) },
          (configs, opts, setup) =>
            runPairs(configs, { ...opts, stateDir: defaultStateDir(io.env) }, io, untilStopSignal(), setup),
        );
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof GuardUsageError) {
      io.err(`rsync-live ${command}: ${error.message}\n\n${GUARD_USAGE}`);
      return 2;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`rsync-live: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`rsync-live: ${(error as Error).message}`);
    return 1;
  }
}
