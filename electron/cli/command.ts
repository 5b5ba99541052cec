// What every `rsync-live` command is made of: its name, a one-line summary for the global help, its own usage
// text, and a run function answering an exit status. Also the exit statuses (one per class, documented in
// docs/cli.md), the usage error, and the helpers that turn argv values and schema issues into messages that
// name the flags a user typed (never the config's internal field names).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import type { FieldIssue } from '../shared/api.js';

/** Exit statuses, one per class. With --once a failed sync exits with rsync's own status instead of 1. */
export const EXIT = {
  ok: 0,
  /** Something failed at run time: a config file that is wrong or unreadable, a pair that cannot start. */
  failure: 1,
  /** The command line is wrong: unknown command or option, a missing or bad value, a bad folder or target. */
  usage: 2,
  /** With --once: deletions wait for the user's confirmation (the delete guard, data already on a new pair's
   * target); nothing was deleted. */
  waiting: 3,
  /** Another rsync-live already runs the same folder+target or the same serve config (EX_TEMPFAIL). */
  locked: 75,
} as const;

export class UsageError extends Error {}

export type Log = (line: string) => void;

export interface CliIo {
  out: Log;
  err: Log;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Is stdout a terminal? (serve prints its token only to one.) */
  isTTY?: boolean;
}

export interface Command {
  name: string;
  /** One line for the global help. */
  summary: string;
  /** The command's own help (`rsync-live NAME --help`), starting with "Usage:". */
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with one fix: a value that starts with "-" after a flag that takes one ("--delay -5") is taken as
 * that flag's value, exactly like "--delay=-5", so both get the same message about the value.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string;
    const next = argv[index + 1];
    if (word === '--') {
      joined.push(...argv.slice(index));
      break;
    }
    const name = word.startsWith('--') ? word.slice(2) : null;
    const spec = name !== null && !name.includes('=') ? options[name] : undefined;
    if (spec?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${word}=${next}`);
      index++;
    } else joined.push(word);
  }
  return parseArgs({ args: joined, options, allowPositionals, strict: true });
}

/** A whole number flag value, or undefined when the flag was not given. */
export function wholeNumber(value: string | undefined, flag: string, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`${flag} takes a whole number${what ? ` of ${what}` : ''}, got "${value}"`);
  return Number(value);
}

/** How the CLI names a field of the pair config (the flag that sets it), for messages. */
const FLAG_BY_FIELD: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^folder$/, () => 'folder'],
  [/^targets\.(\d+)\.url$/, (m) => `target ${Number(m[1]) + 1}`],
  [/^targets\.(\d+)\.concurrency$/, () => '--concurrency'],
  [/^targets\.(\d+)/, (m) => `target ${Number(m[1]) + 1}`],
  [/^delayMs$/, () => '--delay'],
  [/^maxDelayMs$/, () => '--max-delay'],
  [/^rsync\.timeoutSec$/, () => '--timeout'],
  [/^rsync\.bwlimitKiB$/, () => '--bwlimit'],
  [/^rsync\.extraArgs/, () => '--rsync-option'],
  [/^excludes\.regex/, () => '--exclude'],
  [/^excludes\.glob/, () => '--exclude-glob'],
  [/^excludes$/, () => '--exclude'],
  [/^watcher$/, () => '--watcher'],
];

export function flagOf(field: string): string {
  for (const [pattern, name] of FLAG_BY_FIELD) {
    const match = pattern.exec(field);
    if (match) return name(match);
  }
  return field;
}

/** Field issues (or a zod error) as "--max-delay: must be at least 1 ms" lines. */
export function flagIssues(issues: readonly FieldIssue[] | z.ZodError): string {
  const list: FieldIssue[] = Array.isArray(issues)
    ? [...issues]
    : (issues as z.ZodError).issues.map((issue) => ({
        field: issue.path.map(String).join('.'),
        message: issue.message,
      }));
  return list
    .map((issue) => {
      const flag = flagOf(issue.field);
      // "folder / is the whole system" already says which field it is about.
      return issue.message.startsWith(flag.split(' ')[0] as string)
        ? issue.message
        : `${flag}: ${issue.message}`;
    })
    .join('\n');
}

/** The first line of a command's usage and where the rest is: what a usage error ends with. */
export function usageHint(command: Pick<Command, 'name' | 'usage'>): string {
  return `${command.usage.split('\n')[0] ?? ''}\n(rsync-live ${command.name} --help lists every option)`;
}
