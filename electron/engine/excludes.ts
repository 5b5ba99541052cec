// Which relative paths a pair ignores: default editor temporary files, user regexes (sersync style, full match
// on the relative path or any of its ancestors; with regexForm "sersync", in the forms sersync tested) and user globs (gitignore-like). Also renders the same rules
// as rsync filter arguments for full syncs.
import picomatch from 'picomatch';
import { ancestors, display, type RelPath } from './byte-path.js';
import type { ExcludesConfig } from '../shared/config.js';

/** vim's write test file, swap files, backups, emacs lock files, LibreOffice lock files. Not all dotfiles. */
export const DEFAULT_TEMPORARY_GLOBS = ['4913', '*.swp', '*.swx', '*~', '.#*', '.~lock.*#'] as const;

export interface ExcludeMatcher {
  (rel: RelPath): boolean;
  /** The rules on `rel` alone, not on its ancestors: all a walker that never enters an excluded directory needs. */
  readonly itself: (rel: RelPath) => boolean;
}

export class ExcludeError extends Error {}

function compileRegex(source: string): RegExp {
  try {
    // dotAll: "." also matches a newline, which a file name may hold ("(.*)\.gz" must catch "a\nb.gz").
    return new RegExp(`^(?:${source})$`, 'su');
  } catch (error) {
    throw new ExcludeError(
      `exclude regex ${JSON.stringify(source)} is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

function compileGlob(glob: string): (text: string) => boolean {
  // As rsync reads it (rsyncExcludeArgs): a trailing "/" does not anchor, "build/" is a name at any depth.
  const anchored = glob.replace(/\/+$/, '').includes('/');
  const pattern = glob.replace(/^\/+/, '').replace(/\/+$/, '');
  if (pattern === '') throw new ExcludeError(`exclude glob ${JSON.stringify(glob)} matches nothing`);
  if (anchored) return picomatch(pattern, { dot: true });
  // What picomatch's basename mode does, without splitting the whole path into an array on every call.
  const regex = picomatch.makeRe(pattern, { dot: true });
  return (text) => text !== '' && (text === pattern || regex.test(text.slice(text.lastIndexOf('/') + 1)));
}

export function excludeGlobs(config: Pick<ExcludesConfig, 'glob' | 'defaultTemporary'>): string[] {
  return [...(config.defaultTemporary ? DEFAULT_TEMPORARY_GLOBS : []), ...config.glob];
}

/**
 * Builds the matcher. A path is excluded when it, or any directory above it, matches a rule, so an excluded
 * directory takes its whole subtree with it at every depth.
 */
export function compileExcludes(config: ExcludesConfig, extraGlobs: readonly string[] = []): ExcludeMatcher {
  const regexes = config.regex.map(compileRegex);
  const globs = [...excludeGlobs(config), ...extraGlobs].map(compileGlob);
  if (regexes.length === 0 && globs.length === 0) {
    const none = () => false;
    return Object.assign(none, { itself: none });
  }
  // sersync's forms (Inotify.cpp): "name" at the top, "/sub/name" deeper; folders at start-up as "sub/dir/".
  const sersync = config.regexForm === 'sersync';
  const regexMatch = (text: string): boolean =>
    sersync
      ? regexes.some((re) => re.test(text.includes('/') ? `/${text}` : text) || re.test(`${text}/`))
      : regexes.some((re) => re.test(text));
  const matchOne = (rel: string): boolean => {
    const text = ASCII.test(rel) ? rel : display(rel);
    return regexMatch(text) || globs.some((glob) => glob(text));
  };
  const matcher = (rel: RelPath) => {
    if (matchOne(rel)) return true;
    for (const dir of ancestors(rel)) if (matchOne(dir)) return true;
    return false;
  };
  return Object.assign(matcher, { itself: matchOne });
}

/** A path of printable ASCII reads the same as UTF-8: no conversion needed. */
const ASCII = /^[ -~]*$/;

/**
 * rsync --exclude arguments for the glob rules (rsync's own pattern rules agree with ours for these forms:
 * no "/" = any depth, leading "/" or inner "/" = anchored at the transfer root).
 */
export function rsyncExcludeArgs(globs: readonly string[]): string[] {
  return globs.map((glob) => {
    const trimmed = glob.replace(/\/+$/, '');
    const anchored = trimmed.includes('/') && !trimmed.startsWith('/') ? `/${trimmed}` : trimmed;
    return `--exclude=${anchored}`;
  });
}

/**
 * A literal path as an rsync filter pattern that matches exactly that path: rsync honours backslash escapes
 * only in patterns that contain a wildcard, so escape only then.
 */
export function literalRsyncPattern(rel: string): string {
  const anchored = `/${rel}`;
  if (!/[*?[]/.test(anchored)) return anchored;
  return anchored.replace(/[\\*?[]/g, (ch) => `\\${ch}`);
}
