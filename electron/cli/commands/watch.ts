// `rsync-live watch FOLDER TARGET... [options]`: one pair from the command line, checked like a saved pair
// (electron/service/pair-validation.ts) before anything starts, then run until a signal or, with --once, for
// one full sync per target.
import os from 'node:os';
import path from 'node:path';
import type { EnginePairConfig } from '../../engine/index.js';
import { pairSchema, type PairConfigInput } from '../../shared/config.js';
import { expandHome } from '../../shared/folder-rules.js';
import { DEFAULT_DELAY_MS, DEFAULT_MAX_DELAY_MS } from '../../shared/timing.js';
import { validatePair } from '../../service/pair-validation.js';
import { defaultStateDir } from '../../service/xdg-dirs.js';
import {
  flagIssues,
  parseCommandArgs,
  UsageError,
  wholeNumber,
  type CliIo,
  type Command,
} from '../command.js';
import { inotifyBackendName } from '../../engine/watcher/index.js';
import { runPairs } from '../run-pairs.js';
import { untilStopSignal } from '../stop-signal.js';

/** The help text; it names the inotify backend this machine would run (native addon or its fs.watch fallback). */
export const watchUsage = (): string => `Usage: rsync-live watch FOLDER TARGET... [options]
Mirror FOLDER in real time to each TARGET.

Targets: rsync://[user@]host[:port]/module[/path], [user@]host::module[/path], [user@]host:path (ssh),
         or an absolute local directory. Never put a password in the URL: use --password-file or RSYNC_PASSWORD.

Options:
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
  --concurrency N        rsync runs in flight per target, 1-16 (default 2)
  --rsync-option OPT     extra rsync option, e.g. --rsync-option=--numeric-ids (repeatable; only options that
                         change how files travel or which attributes they keep: see docs/cli.md)
  --watcher NAME         inotify (default) or chokidar. inotify runs the native kernel backend (close-write,
                         moves, overflow) when its addon is built, else fs.watch; RSYNC_LIVE_NO_NATIVE=1 forces
                         fs.watch. Here: ${inotifyBackendName()}
  --no-initial-sync      skip the start-up full sync
  --state-dir DIR        unfinished queues and locks (default ~/.local/state/rsync-live)
  --confirm-deletions    allow the deletions the delete guard held back (the folder was replaced, gone or
                         lost most of its entries), and on a new pair delete what the target holds that
                         the folder doesn't: the start-up sync mirrors the folder exactly as it is now
  --keep-existing        on a new pair, keep what the target already holds that the folder doesn't (merge):
                         those entries are never deleted (without this or --confirm-deletions, the first
                         sync deletes nothing there and asks)
  --once                 run one full sync per target and exit with rsync's status (3: deletions wait for
                         your confirmation; nothing was deleted)
  -q, --quiet            print errors only
  -h, --help             this help`;

const OPTIONS = {
  'password-file': { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'exclude-glob': { type: 'string', multiple: true },
  'no-delete': { type: 'boolean' },
  versions: { type: 'boolean' },
  delay: { type: 'string' },
  'max-delay': { type: 'string' },
  bwlimit: { type: 'string' },
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  'rsync-option': { type: 'string', multiple: true },
  watcher: { type: 'string' },
  'no-initial-sync': { type: 'boolean' },
  'state-dir': { type: 'string' },
  'confirm-deletions': { type: 'boolean' },
  'keep-existing': { type: 'boolean' },
  once: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export interface WatchSetup {
  config: EnginePairConfig;
  once: boolean;
  quiet: boolean;
  stateDir: string;
  confirmDeletions: boolean;
  keepExisting: boolean;
}

/** The pair a watch command line describes, checked; throws UsageError naming the flag that is wrong. */
export async function watchConfig(argv: string[], io: Pick<CliIo, 'env' | 'cwd'>): Promise<WatchSetup> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
  const [folderArg, ...targets] = positionals;
  if (!folderArg || targets.length === 0)
    throw new UsageError('watch needs a folder and at least one target');
  if (values['no-delete'] && values.versions)
    throw new UsageError('--no-delete and --versions exclude each other');
  if (values['confirm-deletions'] && values['keep-existing'])
    throw new UsageError('--confirm-deletions and --keep-existing exclude each other');
  const home = io.env.HOME || os.homedir();
  const expanded = expandHome(folderArg, home);
  const folder = expanded.includes('\uFFFD') ? expanded : path.resolve(io.cwd, expanded);
  const passwordFile = values['password-file'] ? path.resolve(io.cwd, values['password-file']) : undefined;
  const concurrency = wholeNumber(values.concurrency, '--concurrency', 'rsync runs');
  const input: PairConfigInput = {
    id: 'watch',
    name: path.basename(folder),
    folder,
    targets: targets.map((url) => ({
      url,
      ...(passwordFile ? { passwordFile } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    })),
    deletion: values['no-delete'] ? 'keep' : values.versions ? 'versions' : 'mirror',
    excludes: { regex: values.exclude ?? [], glob: values['exclude-glob'] ?? [], defaultTemporary: true },
    delayMs: wholeNumber(values.delay, '--delay', 'ms'),
    maxDelayMs: wholeNumber(values['max-delay'], '--max-delay', 'ms'),
    fullSync: { onStart: !values['no-initial-sync'], schedule: null, excludes: [] },
    rsync: {
      extraArgs: values['rsync-option'] ?? [],
      timeoutSec: wholeNumber(values.timeout, '--timeout', 'seconds') ?? 60,
      contimeoutSec: 15,
      bwlimitKiB: wholeNumber(values.bwlimit, '--bwlimit', 'KiB/s') ?? 0,
    },
    watcher: values.watcher as 'inotify' | 'chokidar' | undefined,
  };
  const parsed = pairSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(flagIssues(parsed.error));
  const issues = await validatePair(parsed.data);
  if (issues.length > 0) throw new UsageError(flagIssues(issues));
  const config: EnginePairConfig = parsed.data;
  return {
    config,
    once: values.once ?? false,
    quiet: values.quiet ?? false,
    stateDir: values['state-dir'] ? path.resolve(io.cwd, values['state-dir']) : defaultStateDir(io.env),
    confirmDeletions: values['confirm-deletions'] ?? false,
    keepExisting: values['keep-existing'] ?? false,
  };
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'rsync-live watch FOLDER TARGET... [options]    mirror a folder in real time',
  get usage() {
    return watchUsage();
  },
  async run(argv, io) {
    const { config, ...options } = await watchConfig(argv, io);
    return runPairs([config], options, io, untilStopSignal());
  },
};
