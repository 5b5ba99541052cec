// The `rsync-live` command line: a table of commands (each in electron/cli/commands/, with its own usage), the
// global help and --version, and one mapping from errors to exit statuses (EXIT in ./command.ts, documented in
// docs/cli.md). Adding a command is one module plus one entry in COMMANDS. A command's module is loaded only
// when it runs or its help is shown: `watch` never loads the server, sersync, restore or plugin code (issue 15:
// every module loaded stays in the heap of a long-running watch).
import { readFileSync } from 'node:fs';
import { LockedError } from '../service/instance-lock.js';
import { EXIT, UsageError, usageHint, type CliIo, type Command } from './command.js';
export { EXIT, UsageError, type CliIo } from './command.js';
export { runPairs } from './run-pairs.js';
export { watchConfig } from './commands/watch.js';

/** A command by name; load() imports its module (and what that module needs) on first use. */
export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'watch', load: async () => (await import('./commands/watch.js')).watchCommand },
  { name: 'run', load: async () => (await import('./commands/run.js')).runCommand },
  { name: 'serve', load: async () => (await import('./commands/serve.js')).serveCommand },
  { name: 'sersync', load: async () => (await import('./commands/sersync.js')).sersyncCommand },
  { name: 'deletions', load: async () => (await import('./commands/deletions.js')).deletionsCommand },
  {
    name: 'confirm-deletions',
    load: async () => (await import('./commands/deletions.js')).confirmDeletionsCommand,
  },
  {
    name: 'test-connection',
    load: async () => (await import('./commands/test-connection.js')).testConnectionCommand,
  },
  { name: 'ls', load: async () => (await import('./commands/restore.js')).lsCommand },
  { name: 'restore', load: async () => (await import('./commands/restore.js')).restoreCommand },
];

/** The global help: every command's summary (loads every command module). */
export async function usage(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  return `Usage: rsync-live COMMAND [options]   (rsync-live COMMAND --help for a command's options)
${commands.map((command) => `  ${command.summary}`).join('\n')}
  rsync-live --version                            print the version

Exit status: 0 ok; 1 a run-time error (config file, a pair that cannot start); 2 a usage error; 3 with --once,
deletions wait for your confirmation (nothing was deleted); 75 another
rsync-live already runs the same folder and target (or serve config); with --once, rsync's own status of a
failed sync. See docs/cli.md.`;
}

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const before = end === -1 ? argv : argv.slice(0, end);
  return before.includes('--help') || before.includes('-h');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`rsync-live ${version()}`);
    return EXIT.ok;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (name === undefined) {
      io.err(await usage());
      return EXIT.usage;
    }
    io.out(topic ? (await topic.load()).usage : await usage());
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`rsync-live: unknown command "${name}"\n\n${await usage()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (wantsHelp(rest)) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`rsync-live: ${message}\n\n${usageHint(command)}`);
      return EXIT.usage;
    }
    if (error instanceof LockedError) {
      io.err(`rsync-live: ${message}`);
      return EXIT.locked;
    }
    io.err(`rsync-live: ${message}`);
    return EXIT.failure;
  }
}
