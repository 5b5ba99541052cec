// `rsync-live ls TARGET [PATH]` and `rsync-live restore FOLDER TARGET PATH...`: browse a backup and get files,
// folders and earlier versions (--version DATE) back from it, for a target on the command line or a configured
// pair (--config FILE --pair ID). Exit 0 only when everything asked for was restored.
import path from 'node:path';
import { display, type RelPath } from '../../engine/byte-path.js';
import {
  listRemote,
  restore,
  RestoreError,
  type RemoteEntry,
  type RestoreResult,
} from '../../engine/restore/index.js';
import { escapeName, unescapeArg } from '../byte-names.js';
import { EXIT, parseCommandArgs, UsageError, type CliIo, type Command } from '../command.js';
import { formatBytes } from '../format.js';
import { ACCESS_OPTIONS, accessFromArgs, accessFromConfig } from '../restore-access.js';

export const LS_USAGE = `Usage: rsync-live ls TARGET [PATH] [--password-file FILE] [--json]
       rsync-live ls --config FILE --pair ID [--target ID] [PATH] [--json]
List one directory of a backup (the target's root without PATH): one entry per line, type (d directory,
- file, l symlink, ? other), size in bytes, modification time (UTC) and name. Names are printed with \\#ooo
escapes for control bytes and bytes that are not UTF-8; PATH may be given in the same form. The versions
folder (.rsync-live-versions, --versions mode) is left out of the root; list it by name.

Options:
  --password-file FILE   daemon password file (mode 0600); RSYNC_PASSWORD is honoured too
  -c, --config FILE      read the target from this config file's pair (with --pair)
  --pair ID              the configured pair
  --target ID            which of the pair's targets (default: its first)
  --json                 one JSON array: type, size, mtime, name, path (text) and pathBase64 (exact bytes)
  -h, --help             this help`;

export const RESTORE_USAGE = `Usage: rsync-live restore FOLDER TARGET PATH... [options]
       rsync-live restore --config FILE --pair ID [--target ID] PATH... [options]
Get files or folders back from a backup: each PATH (relative to FOLDER; a folder restores its tree) is copied
from TARGET back to its place in FOLDER, keeping modification times. A local file newer than the backup copy
is not overwritten unless --overwrite-newer is given.

Options:
  --to DIR               restore into DIR instead of FOLDER (paths keep their place below DIR)
  --version DATE         restore the copy kept on DATE (YYYY-MM-DD) in .rsync-live-versions (--versions mode)
  --dry-run              list what would be restored; change nothing
  --overwrite-newer      also replace local files that are newer than the backup copy
  --password-file FILE   daemon password file (mode 0600); RSYNC_PASSWORD is honoured too
  -c, --config FILE      the folder and target of this config file's pair (with --pair)
  --pair ID              the configured pair
  --target ID            which of the pair's targets (default: its first)
  --json                 print the result as JSON (paths as text and base64)
  -q, --quiet            print problems only
  -h, --help             this help

Exit status: 0 everything asked for was restored (or, with --dry-run, would be); 1 something was not (each
path is named with the reason); 2 a usage error.`;

const TYPE: Record<RemoteEntry['kind'], string> = { dir: 'd', file: '-', symlink: 'l', other: '?' };

function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

const base64 = (rel: string): string => Buffer.from(rel, 'latin1').toString('base64');

/** A RestoreError that is the user's mistake is a usage error (exit 2). */
function asUsage(error: unknown): never {
  if (error instanceof RestoreError && error.kind === 'bad-request') throw new UsageError(error.message);
  throw error;
}

export const lsCommand: Command = {
  name: 'ls',
  summary: 'rsync-live ls TARGET [PATH]                   list a directory of a backup',
  usage: LS_USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...ACCESS_OPTIONS, json: { type: 'boolean' } },
      true,
    );
    let access;
    let rest: string[];
    if (values.config || values.pair) {
      access = (await accessFromConfig(values, io)).access;
      rest = positionals;
    } else {
      const [url, ...more] = positionals;
      if (!url) throw new UsageError('ls needs a TARGET (or --config FILE --pair ID)');
      access = await accessFromArgs(url, values, io);
      rest = more;
    }
    if (rest.length > 1) throw new UsageError('ls takes one PATH');
    const dir = rest[0] === undefined ? ('' as RelPath) : unescapeArg(rest[0].replace(/^\/+|\/+$/g, ''));
    if (dir.split('/').includes('..'))
      throw new UsageError('PATH has a ".." part: give a path below the target');
    const entries = await listRemote(access, dir).catch(asUsage);
    if (values.json) {
      io.out(
        JSON.stringify(
          entries.map((entry) => ({
            type: entry.kind,
            size: entry.size,
            mtime: new Date(entry.mtimeMs).toISOString(),
            name: entry.name,
            path: display(entry.path),
            pathBase64: base64(entry.path),
          })),
        ),
      );
      return EXIT.ok;
    }
    for (const entry of entries) {
      const name = escapeName(entry.path.slice(entry.path.lastIndexOf('/') + 1));
      io.out(
        `${TYPE[entry.kind]} ${String(entry.size).padStart(12)} ${time(entry.mtimeMs)} ${name}${entry.kind === 'dir' ? '/' : ''}`,
      );
    }
    return EXIT.ok;
  },
};

function report(result: RestoreResult, io: CliIo, quiet: boolean): void {
  const done = result.dryRun ? 'would restore' : 'restored';
  if (!quiet) {
    for (const p of result.restored) io.out(`${done}: ${escapeName(p)}`);
    for (const p of result.unchanged) io.out(`unchanged: ${escapeName(p)}`);
  }
  for (const p of result.skippedNewer)
    io.err(`skipped, newer locally: ${escapeName(p)} (use --overwrite-newer)`);
  for (const f of result.failed) io.err(`not restored: ${escapeName(f.path) || '.'}: ${f.message}`);
  if (!quiet)
    io.out(
      `${result.restored.length} ${done}, ${result.unchanged.length} unchanged, ${result.skippedNewer.length} skipped (newer locally), ${result.failed.length} failed${result.dryRun ? ' (dry run: nothing changed)' : ''}; into ${result.destination}`,
    );
}

export const restoreCommand: Command = {
  name: 'restore',
  summary:
    'rsync-live restore FOLDER TARGET PATH...      get files back from a backup (or an earlier version)',
  usage: RESTORE_USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        ...ACCESS_OPTIONS,
        to: { type: 'string' },
        version: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'overwrite-newer': { type: 'boolean' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
      },
      true,
    );
    let access;
    let folder: string;
    let paths: string[];
    if (values.config || values.pair) {
      const resolved = await accessFromConfig(values, io);
      access = resolved.access;
      folder = resolved.folder as string;
      paths = positionals;
    } else {
      const [folderArg, url, ...more] = positionals;
      if (!folderArg || !url)
        throw new UsageError('restore needs FOLDER TARGET PATH... (or --config FILE --pair ID PATH...)');
      folder = path.resolve(io.cwd, folderArg);
      access = await accessFromArgs(url, values, io);
      paths = more;
    }
    if (paths.length === 0)
      throw new UsageError('give at least one PATH to restore (relative to the folder)');
    const rels = paths.map((p) => {
      // An absolute path inside the folder is taken relative to it.
      const text =
        path.isAbsolute(p) && (p === folder || p.startsWith(`${folder}/`)) ? path.relative(folder, p) : p;
      return unescapeArg(text === '' ? '.' : text);
    });
    const to = values.to ? path.resolve(io.cwd, values.to) : undefined;
    let bytes = 0;
    const result = await restore(
      {
        folder,
        paths: rels,
        ...(to ? { to } : {}),
        ...(values.version ? { version: values.version } : {}),
        dryRun: values['dry-run'] ?? false,
        overwriteNewer: values['overwrite-newer'] ?? false,
      },
      access,
      (progress) => {
        bytes = progress.bytes;
      },
    ).catch(asUsage);
    if (values.json) {
      const list = (ps: RelPath[]) => ps.map((p) => ({ path: display(p), pathBase64: base64(p) }));
      io.out(
        JSON.stringify({
          dryRun: result.dryRun,
          destination: result.destination,
          restored: list(result.restored),
          unchanged: list(result.unchanged),
          skippedNewer: list(result.skippedNewer),
          failed: result.failed.map((f) => ({ ...list([f.path])[0], message: f.message })),
          bytes,
        }),
      );
    } else {
      report(result, io, values.quiet ?? false);
      if (!values.quiet && bytes > 0) io.out(`${formatBytes(bytes)} transferred`);
    }
    return result.failed.length === 0 && result.skippedNewer.length === 0 ? EXIT.ok : EXIT.failure;
  },
};
