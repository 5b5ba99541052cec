// The sersync face of the command line: `rsync-live sersync -r -o confxml.xml [-n N] [-m plugin] [-d]` with
// sersync2's flags and meanings, and `run --config confxml.xml`. Imports the file, prints its warnings, then
// hands the pairs to the CLI's runner with a setup hook that starts the PluginHost, the fail log and the
// crontab interval. -d detaches (detach.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine, EnginePairConfig } from '../engine/index.js';
import type { PluginConfig } from '../engine/plugins/config.js';
import { PluginHost } from '../engine/plugins/host.js';
import { pairSchema, type PairConfig } from '../shared/config.js';
import { detach, PID_FILE_ENV, writePidFile } from './detach.js';
import { FailLog } from './fail-log.js';
import { startFullSyncInterval } from './interval.js';
import { importSersync, PLUGIN_MODE_NAMES, type SersyncImport } from './map.js';
import { decodeConfig, looksLikeXml } from './xml.js';

export interface SersyncIo {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Where -d puts its pid and log files by default (the CLI's state directory). */
  stateDir?: string;
  /** How -d runs this program again: default [node, this script]. */
  self?: readonly string[];
}

/** Stops what the setup started; called after the engine stopped. */
export type Teardown = () => Promise<void>;

/** The CLI's pair runner (runPairs) with its stop signal bound. */
export type PairsRunner = (
  configs: EnginePairConfig[],
  options: { once: boolean; quiet: boolean; confirmDeletions?: boolean; keepExisting?: boolean },
  setup: (engine: Engine) => Promise<Teardown>,
) => Promise<number>;

export interface SersyncRunOptions {
  /** sersync's -r: one full sync per target at start. */
  startupSync: boolean;
  /** sersync's -n: rsync runs in flight per target. */
  concurrency?: number;
  /** sersync's -m: run only this plugin, no rsync. */
  plugin?: string;
  once?: boolean;
  quiet?: boolean;
  /** Release deletions the delete guard holds (engine.addPair(config, { confirmDeletions: true })). */
  confirmDeletions?: boolean;
  /** Keep what a new pair's targets already hold that the folder doesn't (merge). */
  keepExisting?: boolean;
}

export const SERSYNC_USAGE = `Usage: rsync-live sersync [-r] [-o confxml.xml] [-n N] [-m plugin] [-d] [-q] [--confirm-deletions | --keep-existing]
  -r           full sync of every folder to every remote at start (without -r, like sersync: none)
  -o FILE      the sersync configuration (default ./confxml.xml)
  -n N         rsync runs in flight per remote (1-16; sersync's thread count)
  -m PLUGIN    run only this plugin (command, socket, refreshCDN, http), no rsync
  -d           run in the background (returns once started; output to --log-file, pid to --pid-file).
               A systemd unit is the better way: build/rsync-live.service
  --pid-file FILE   with -d: where the pid is written (default STATE_DIR/sersync.pid)
  --log-file FILE   with -d: where output goes (default STATE_DIR/sersync.log)
  --confirm-deletions  release the deletions the delete guard held back, and on a new pair delete what a
               remote holds that the folder doesn't (mirror; without it the first sync deletes nothing there)
  --keep-existing  on a new pair, keep what a remote already holds that the folder doesn't (merge)
  -q           print errors only
See docs/migrating-from-sersync.md for what each element of confxml.xml becomes.`;

/** True when the file's first non-blank character is "<" (a sersync confxml.xml), false for JSON. */
export async function isXmlConfigFile(file: string): Promise<boolean> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
      return looksLikeXml(buffer.subarray(0, bytesRead).toString('latin1'));
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

export async function readSersyncFile(file: string, options: SersyncRunOptions): Promise<SersyncImport> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new Error(
      `cannot read sersync config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  return importSersync(decodeConfig(bytes), {
    file,
    startupSync: options.startupSync,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
}

function isWithin(folder: string, dir: string): boolean {
  return folder === dir || folder.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** A pair that only watches (no targets): feeds plugins in plugin-only mode or outside the synced folders. */
export function watchOnlyPair(id: string, folder: string, like: PairConfig | undefined): EnginePairConfig {
  const base = pairSchema.parse({
    id,
    name: folder,
    folder,
    targets: [{ url: '/' }],
    excludes: like?.excludes,
    fullSync: { onStart: false, schedule: null, excludes: [] },
  });
  return { ...base, targets: [] };
}

export interface SersyncPlan {
  pairs: EnginePairConfig[];
  plugins: PluginConfig[];
  pluginOnly: boolean;
  notes: string[];
}

/** Which pairs and plugins run, for the -m choice: plugin-only pairs watch without targets. */
export function planSersync(imported: SersyncImport, plugin: string | undefined): SersyncPlan {
  const notes: string[] = [];
  const ids = new Set(imported.pairs.map((p) => p.id));
  const newId = (folder: string): string => {
    const base = `plugin-${path.basename(folder).replace(/[^A-Za-z0-9._-]+/g, '-') || 'root'}`.slice(0, 56);
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    return id;
  };
  if (plugin !== undefined) {
    const chosen = imported.plugins.filter((p) => p.name === plugin).map((p) => ({ ...p, enabled: true }));
    const folders = new Set<string>();
    for (const p of chosen) {
      if (p.folder !== null) folders.add(p.folder);
      else for (const pair of imported.pairs) folders.add(pair.folder);
    }
    const pairs = [...folders].map((folder) => watchOnlyPair(newId(folder), folder, imported.pairs[0]));
    return { pairs, plugins: chosen, pluginOnly: true, notes };
  }
  const pairs: EnginePairConfig[] = [...imported.pairs];
  const plugins: PluginConfig[] = [];
  for (const p of imported.plugins.filter((x) => x.enabled)) {
    if (p.folder === null || imported.pairs.some((pair) => isWithin(p.folder as string, pair.folder))) {
      plugins.push(p);
      continue;
    }
    const folder = p.folder;
    const existing = pairs.find((pair) => pair.targets.length === 0 && pair.folder === folder);
    const id = existing?.id ?? newId(folder);
    if (!existing) pairs.push(watchOnlyPair(id, folder, imported.pairs[0]));
    notes.push(
      `plugin ${p.id} watches ${folder}, which no <localpath> syncs: it is watched for the plugin only`,
    );
    plugins.push({ ...p, pairs: [id] });
  }
  return { pairs, plugins, pluginOnly: false, notes };
}

/** Runs an imported sersync configuration through the CLI's runner. */
export async function runSersyncFile(
  file: string,
  options: SersyncRunOptions,
  io: SersyncIo,
  run: PairsRunner,
): Promise<number> {
  const imported = await readSersyncFile(file, options);
  for (const warning of imported.warnings) io.err(`warning: ${warning}`);
  if (options.plugin !== undefined && !(PLUGIN_MODE_NAMES as readonly string[]).includes(options.plugin)) {
    io.err(`rsync-live sersync: -m ${options.plugin}: sersync's plugins are ${PLUGIN_MODE_NAMES.join(', ')}`);
    return 2;
  }
  const plan = planSersync(imported, options.plugin);
  for (const note of plan.notes) io.err(`warning: ${note}`);
  if (options.plugin !== undefined && plan.plugins.length === 0) {
    io.err(`rsync-live sersync: -m ${options.plugin}: ${file} has no <plugin name="${options.plugin}">`);
    return 2;
  }
  if (plan.pairs.length === 0) {
    io.err(`rsync-live sersync: ${file} has no <localpath> with a <remote>: nothing to sync`);
    return 2;
  }
  const quiet = options.quiet ?? false;
  const log = (level: 'info' | 'warn' | 'error', message: string): void => {
    if (level === 'info') {
      if (!quiet) io.out(message);
    } else io.err(`${level === 'warn' ? 'warning' : 'error'}: ${message}`);
  };
  if (!quiet) {
    const targets = plan.pairs.reduce((sum, pair) => sum + pair.targets.length, 0);
    io.out(
      plan.pluginOnly
        ? `sersync config ${file}: plugin ${options.plugin} only (no rsync), watching ${plan.pairs.map((p) => p.folder).join(', ')}`
        : `sersync config ${file}: ${imported.pairs.length} folder(s) → ${targets} target(s); start-up full sync: ${
            options.startupSync ? 'yes' : 'no (add -r)'
          }; plugins: ${plan.plugins.map((p) => p.id).join(', ') || 'none'}; fail log: ${
            imported.failLog
              ? `${imported.failLog.path}, retry every ${imported.failLog.retryMinutes} min`
              : 'none'
          }`,
    );
  }
  const runOptions = {
    once: options.once ?? false,
    quiet,
    ...(options.confirmDeletions ? { confirmDeletions: true } : {}),
    ...(options.keepExisting ? { keepExisting: true } : {}),
  };
  return run(plan.pairs, runOptions, async (engine) => {
    const removePidFile = await writePidFile(io.env ?? {});
    let stopInterval: (() => void) | null = null;
    if (imported.fullSyncEveryMinutes !== undefined && !plan.pluginOnly && !(options.once ?? false)) {
      stopInterval = startFullSyncInterval(
        engine,
        imported.pairs.map((p) => p.id),
        imported.fullSyncEveryMinutes,
      );
      log('info', `crontab: full sync every ${imported.fullSyncEveryMinutes} min from now`);
    }
    const host = new PluginHost(engine, plan.plugins, {
      log,
      ...(plan.pluginOnly ? {} : { afterSync: (pairId: string) => engine.whenIdle(pairId) }),
    });
    host.start();
    let failLog: FailLog | null = null;
    if (imported.failLog && !plan.pluginOnly) {
      failLog = new FailLog(engine, {
        path: imported.failLog.path,
        retryMs: imported.failLog.retryMinutes * 60_000,
        log,
      });
      try {
        await failLog.open();
        failLog.start();
      } catch (error) {
        log('error', `${(error as Error).message}; syncing continues without a fail log`);
        failLog = null;
      }
    }
    return async () => {
      stopInterval?.();
      await host.stop();
      await failLog?.stop();
      await removePidFile();
    };
  });
}

class SersyncUsageError extends Error {}

/** `rsync-live sersync …`: sersync2's flags. */
export async function sersyncCommand(argv: string[], io: SersyncIo, run: PairsRunner): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        r: { type: 'boolean', short: 'r' },
        o: { type: 'string', short: 'o' },
        n: { type: 'string', short: 'n' },
        m: { type: 'string', short: 'm' },
        d: { type: 'boolean', short: 'd' },
        q: { type: 'boolean', short: 'q' },
        'confirm-deletions': { type: 'boolean' },
        'keep-existing': { type: 'boolean' },
        'pid-file': { type: 'string' },
        'log-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      io.out(SERSYNC_USAGE);
      return 0;
    }
    let concurrency: number | undefined;
    if (values.n !== undefined) {
      if (!/^\d+$/.test(values.n) || Number(values.n) < 1)
        throw new SersyncUsageError(`-n takes a whole number ≥ 1, got "${values.n}"`);
      concurrency = Number(values.n);
      if (concurrency > 16) {
        io.err(
          `warning: -n ${concurrency}: at most 16 rsync runs per remote; using 16 (rsync-live batches many paths per run, so it needs far fewer than sersync's threads)`,
        );
        concurrency = 16;
      }
    }
    const file = path.resolve(io.cwd, values.o ?? 'confxml.xml');
    if (values.d && !io.env?.[PID_FILE_ENV]) {
      const stateDir = io.stateDir ?? io.cwd;
      const args = [
        'sersync',
        ...(values.r ? ['-r'] : []),
        '-o',
        file,
        ...(concurrency !== undefined ? ['-n', String(concurrency)] : []),
        ...(values.m !== undefined ? ['-m', values.m] : []),
        ...(values.q ? ['-q'] : []),
        ...(values['confirm-deletions'] ? ['--confirm-deletions'] : []),
        ...(values['keep-existing'] ? ['--keep-existing'] : []),
      ];
      const result = await detach({
        argv: [...(io.self ?? [process.execPath, process.argv[1] as string]), ...args],
        cwd: io.cwd,
        env: io.env ?? process.env,
        pidFile: path.resolve(io.cwd, values['pid-file'] ?? path.join(stateDir, 'sersync.pid')),
        logFile: path.resolve(io.cwd, values['log-file'] ?? path.join(stateDir, 'sersync.log')),
      });
      (result.exitCode === 0 ? io.out : io.err)(`rsync-live sersync: ${result.message}`);
      return result.exitCode;
    }
    return await runSersyncFile(
      file,
      {
        startupSync: values.r ?? false,
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(values.m !== undefined ? { plugin: values.m } : {}),
        quiet: values.q ?? false,
        confirmDeletions: values['confirm-deletions'] ?? false,
        keepExisting: values['keep-existing'] ?? false,
      },
      io,
      run,
    );
  } catch (error) {
    if (
      error instanceof SersyncUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`rsync-live sersync: ${(error as Error).message}\n\n${SERSYNC_USAGE}`);
      return 2;
    }
    throw error;
  }
}
