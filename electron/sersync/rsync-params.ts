// Translates sersync's <commonParams params="-artuz"> into rsync-live's rsync options: letters -a already
// implies are dropped (an explicit -r would make --files-from recurse), options that would break the engine
// (output format, dry run, --relative, deletion) are dropped with a warning, --timeout/--bwlimit/--port/
// --contimeout become settings, --exclude-from is kept (a relative file is resolved against the watched folder,
// as sersync ran rsync there), everything else passes through as separate "-x" arguments. Pure.
import { splitWords, WordsError } from '../engine/plugins/words.js';

export class ParamsError extends Error {}

export interface TranslatedParams {
  extraArgs: string[];
  timeoutSec?: number;
  contimeoutSec?: number;
  bwlimitKiB?: number;
  port?: number;
  warnings: string[];
}

/** Letters -a stands for (rsync-live always passes -a). */
const ARCHIVE = new Set(['a', 'r', 'l', 'p', 't', 'g', 'o', 'D']);

/** Letters dropped because rsync-live owns what they control. */
const DROPPED: Record<string, string> = {
  v: 'rsync-live sets its own output options and logs one line per run',
  q: 'it would hide the per-file output rsync-live reads',
  h: 'human-readable sizes would break the transfer statistics rsync-live reads',
  i: 'it would replace the output format rsync-live reads',
  n: 'a dry run would never copy anything',
  R: 'paths are already sent relative to the watched folder',
  '0': 'rsync-live already passes --from0',
  V: 'it prints the version and exits',
};

/** Letters passed through unchanged. */
const PASSED = new Set('bcdkKHEAXOJSWxyzuCFLmsIUN468'.split(''));

/** Letters that take a value, and their long form (extraArgs entries must start with "-", so "-e ssh" becomes one). */
const WITH_VALUE: Record<string, string> = {
  e: '--rsh',
  B: '--block-size',
  T: '--temp-dir',
  f: '--filter',
  M: '--remote-option',
  '@': '--modify-window',
};

const DROPPED_LONG: [RegExp, string][] = [
  [
    /^--(verbose|quiet|human-readable|itemize-changes|progress|stats)$/,
    'rsync-live sets its own output options',
  ],
  [/^--(info|debug|out-format|log-format)(=|$)/, 'rsync-live sets its own output options'],
  [/^--dry-run$/, 'a dry run would never copy anything'],
  [/^--(relative|no-relative|no-implied-dirs)$/, 'paths are already sent relative to the watched folder'],
  [
    /^--(recursive|archive)$/,
    'rsync-live always passes -a (an explicit --recursive would make --files-from recurse)',
  ],
  [/^--(files-from|from0|include-from)(=|$)/, 'rsync-live passes its own file lists'],
  [
    /^--(del|delete|delete-before|delete-during|delete-delay|delete-after|delete-excluded|delete-missing-args|ignore-missing-args|force)$/,
    'deletion follows <inotify><delete start>: "true" mirrors deletions, "false" keeps files on the target',
  ],
  [/^--remove-source-files$/, 'it would delete your files after each transfer'],
  [/^--password-file(=|$)/, 'use <auth start="true" users passwordfile> instead'],
  [
    /^--(daemon|server|sender|version|help|list-only|only-write-batch|write-batch|read-batch)(=|$)/,
    'not usable here',
  ],
];

function wholeNumber(value: string, option: string): number {
  if (!/^\d+$/.test(value)) throw new ParamsError(`${option}=${value}: expected a whole number`);
  return Number(value);
}

export function translateCommonParams(params: string): TranslatedParams {
  let words: string[];
  try {
    words = splitWords(params);
  } catch (error) {
    throw new ParamsError((error as WordsError).message);
  }
  const result: TranslatedParams = { extraArgs: [], warnings: [] };
  const given = new Set<string>();
  const dropped = new Map<string, string>();
  const drop = (option: string, why: string): void => {
    dropped.set(option, why);
  };
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (word.startsWith('--')) {
      let option = word;
      const next = words[index + 1];
      if (!word.includes('=') && next !== undefined && !next.startsWith('-')) {
        option = `${word}=${next}`;
        index++;
      }
      const [name, value] = option.includes('=')
        ? [option.slice(0, option.indexOf('=')), option.slice(option.indexOf('=') + 1)]
        : [option, undefined];
      const droppedLong = DROPPED_LONG.find(([re]) => re.test(option));
      if (droppedLong) {
        drop(name, droppedLong[1]);
      } else if (name === '--timeout' && value !== undefined) {
        result.timeoutSec = wholeNumber(value, name);
      } else if (name === '--contimeout' && value !== undefined) {
        result.contimeoutSec = wholeNumber(value, name);
      } else if (name === '--port' && value !== undefined) {
        result.port = wholeNumber(value, name);
      } else if (name === '--bwlimit' && value !== undefined && /^\d+[kK]?$/.test(value)) {
        result.bwlimitKiB = Number(value.replace(/[kK]$/, ''));
      } else {
        result.extraArgs.push(option);
      }
      continue;
    }
    if (!word.startsWith('-') || word === '-') {
      throw new ParamsError(
        `"${word}" is not an rsync option: commonParams holds options only (the source and the remotes come from <localpath> and <remote>)`,
      );
    }
    const letters = word.slice(1);
    for (let at = 0; at < letters.length; at++) {
      const letter = letters[at] as string;
      given.add(letter);
      const long = WITH_VALUE[letter];
      if (long) {
        let value = letters.slice(at + 1);
        if (value === '') {
          const next = words[index + 1];
          if (next === undefined) throw new ParamsError(`-${letter} needs a value`);
          value = next;
          index++;
        }
        result.extraArgs.push(`${long}=${value}`);
        break;
      }
      if (ARCHIVE.has(letter)) continue;
      if (letter === 'P') {
        result.extraArgs.push('--partial');
        drop('-P', 'progress output is rsync-live’s own; its --partial half is kept');
        continue;
      }
      const why = DROPPED[letter];
      if (why) {
        drop(`-${letter}`, why);
        continue;
      }
      if (PASSED.has(letter)) {
        result.extraArgs.push(`-${letter}`);
        continue;
      }
      throw new ParamsError(`-${letter} is not an rsync option rsync-live knows`);
    }
  }
  if (!given.has('a')) {
    // Without -a sersync did not preserve what these letters stand for; rsync-live passes -a, so say "no" back.
    const negate: [string, string][] = [
      ['p', '--no-perms'],
      ['o', '--no-owner'],
      ['g', '--no-group'],
      ['D', '--no-D'],
    ];
    for (const [letter, option] of negate) if (!given.has(letter)) result.extraArgs.push(option);
    const kept = ['r', 'l', 't'].filter((letter) => !given.has(letter));
    if (kept.length > 0) {
      result.warnings.push(
        `commonParams has no -a and no ${kept.map((l) => `-${l}`).join('/')}: rsync-live still ${[
          kept.includes('r') ? 'sends whole trees' : '',
          kept.includes('l') ? 'copies symlinks as symlinks' : '',
          kept.includes('t') ? 'keeps modification times (they make full syncs cheap)' : '',
        ]
          .filter(Boolean)
          .join(', ')}`,
      );
    }
  }
  for (const [option, why] of dropped) result.warnings.push(`commonParams ${option} is dropped: ${why}`);
  return result;
}
