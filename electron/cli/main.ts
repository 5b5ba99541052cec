// The `rsync-live` command line: a table of commands (each in electron/cli/commands/, with its own usage), the
// global help and --version, and one mapping from errors to exit statuses (EXIT in ./command.ts, documented in
// docs/cli.md). Adding a command is one module plus one entry in COMMANDS.
import { readFileSync } from 'node:fs';
import { LockedError } from '../service/instance-lock.js';
import { EXIT, UsageError, usageHint, type CliIo, type Command } from './command.js';
import { confirmDeletionsCommand, deletionsCommand } from './commands/deletions.js';
import { lsCommand, restoreCommand } from './commands/restore.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { sersyncCommand } from './commands/sersync.js';
import { watchCommand } from './commands/watch.js';

export { EXIT, UsageError, type CliIo } from './command.js';
export { runPairs } from './run-pairs.js';
export { watchConfig } from './commands/watch.js';

export const COMMANDS: readonly Command[] = [
  watchCommand,
  runCommand,
  serveCommand,
  sersyncCommand,
  deletionsCommand,
  confirmDeletionsCommand,
  lsCommand,
  restoreCommand,
];

export const USAGE = `Usage: rsync-live COMMAND [options]   (rsync-live COMMAND --help for a command's options)
${COMMANDS.map((command) => `  ${command.summary}`).join('\n')}
  rsync-live --version                            print the version

Exit status: 0 ok; 1 a run-time error (config file, a pair that cannot start); 2 a usage error; 3 with --once,
deletions wait for your confirmation (nothing was deleted); 75 another
rsync-live already runs the same folder and target (or serve config); with --once, rsync's own status of a
failed sync. See docs/cli.md.`;

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
      io.err(USAGE);
      return EXIT.usage;
    }
    io.out(topic ? topic.usage : USAGE);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`rsync-live: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
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
