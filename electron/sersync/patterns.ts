// Pattern translation for confxml.xml. <filter><exclude expression> holds regexes (boost syntax, full match
// on the relative path): POSIX bracket classes become JavaScript ones and each is compiled as the engine
// will. <crontabfilter><exclude expression> was handed to rsync as --exclude=EXPR, so those are rsync
// patterns; rsync-live keeps them as globs with the same meaning, and converts simple regexes people wrote
// there by mistake. Pure.

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  punct: '!-\\/:-@\\[-`{-~',
};

export class PatternError extends Error {}

/** A sersync (boost) exclude regex as the JavaScript source the engine compiles as ^(?:…)$ with the u flag. */
export function toJsRegex(expression: string): string {
  const source = expression.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  try {
    new RegExp(`^(?:${source})$`, 'u');
  } catch (error) {
    const hint = /^[^\\()^$+|{}]*[*?][^\\()^$+|{}]*$/.test(expression)
      ? `; it looks like a glob: as a regex write ${JSON.stringify(globToRegex(expression))}`
      : '';
    throw new PatternError(
      `${JSON.stringify(expression)} is not a regular expression rsync-live can use (${(error as Error).message})${hint}`,
    );
  }
  return source;
}

/** A glob as an equivalent full-match regex (for hints): "*.php" → "(.*)\.php". */
export function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (glob[i + 1] === '*') i++;
      out += '(.*)';
    } else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

export interface CrontabPattern {
  /** Globs for fullSync.excludes (rsync-live glob rules: no "/" = a name at any depth, "/x" = anchored). */
  globs: string[];
  /** Set when the expression was converted or dropped: what happened. */
  note?: string;
}

const REGEX_SYNTAX = /[()\\^$+|{}]|\.\*/;

/**
 * One crontabfilter expression. sersync gave it to rsync as --exclude=EXPR: a name pattern without "/" matches
 * at any depth, one with an inner "/" matches the end of the path at any depth, a leading "/" anchors it.
 */
export function crontabPattern(expression: string): CrontabPattern {
  const text = expression.trim();
  if (text === '') return { globs: [], note: 'an empty expression matches nothing: ignored' };
  if (REGEX_SYNTAX.test(text)) {
    const globs = regexToGlobs(text);
    if (globs) {
      return {
        globs,
        note: `${JSON.stringify(text)} is a regex, but sersync handed crontabfilter expressions to rsync as --exclude patterns, where it matched nothing; rsync-live uses the glob${globs.length > 1 ? 's' : ''} ${globs.map((g) => JSON.stringify(g)).join(' and ')} instead, which is what it means`,
      };
    }
    return {
      globs: [],
      note: `${JSON.stringify(text)} is a regex that has no rsync pattern equivalent (sersync passed it to rsync, where it matched nothing): ignored. Write an rsync pattern such as "*.tmp" or "cache/"`,
    };
  }
  const trimmed = text.replace(/\/+$/, '') || '/';
  if (trimmed.startsWith('/') || !trimmed.includes('/')) return { globs: [trimmed] };
  return { globs: [trimmed, `**/${trimmed}`] };
}

/**
 * Simple full-match regexes as rsync-live globs, or null. Handles a leading ".*" or "(.*)", escaped literals,
 * "[^/]*", "." (one character), a trailing "/*" (sersync's "^info/*" idiom: the directory) and trailing ".*".
 */
export function regexToGlobs(regex: string): string[] | null {
  let body = regex;
  if (body.startsWith('^')) body = body.slice(1);
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  body = body.replace(/\(\.\*\)/g, '.*');
  let anyPrefix = false;
  if (body.startsWith('.*')) {
    anyPrefix = true;
    body = body.slice(2);
  }
  if (body.endsWith('/*')) body = body.slice(0, -2);
  let glob = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch === '\\') {
      const next = body[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next) || '*?['.includes(next)) return null;
      glob += next;
      i++;
    } else if (body.startsWith('.*', i)) {
      glob += '**';
      i++;
    } else if (body.startsWith('[^/]*', i)) {
      glob += '*';
      i += 4;
    } else if (ch === '.') {
      glob += '?';
    } else if (/[()^$+|{}[\]*?]/.test(ch)) {
      return null;
    } else {
      glob += ch;
    }
  }
  if (glob === '') return null;
  if (!anyPrefix) return [`/${glob}`];
  // ".*" then a name without "/": the last component ends with it, at any depth.
  if (!glob.includes('/') && !glob.includes('**')) return [`*${glob}`];
  return [`/**${glob}`];
}

/** The name sersync tested an event's path as (Inotify.cpp FilterExclude): "name" at the top, "/sub/name" deeper. */
export function sersyncEventForm(rel: string): string {
  return rel.includes('/') ? `/${rel}` : rel;
}

/** The name sersync tested a folder as while adding watches at start-up (Inotify.cpp AddWatch): "sub/dir/". */
export function sersyncStartupDirForm(rel: string): string {
  return `${rel}/`;
}

/** A concrete path the expression was written for: "(.*)" and ".*" become "x", a class its first character. */
function sampleOf(source: string): string {
  return source
    .replace(/^\^|\$$/g, '')
    .replace(/\(\.\*\)|\(\.\+\)|\.\*|\.\+/g, 'x')
    .replace(/\[([^\]^\\])[^\]]*\]/g, '$1')
    .replace(/\\(.)/g, '$1')
    .replace(/(.)[*?+]/g, '$1');
}

/**
 * A note when an exclude regex does not mean in sersync what it seems to: it matched a folder only through the
 * start-up form "dir/" (folders that existed when sersync started), or a deeper path written without the
 * leading "/" sersync put there, so it matched nothing. rsync-live tests the same forms (see regexForm
 * "sersync" in excludes.ts), at all times.
 */
export function filterNote(expression: string): string | null {
  const source = toJsRegex(expression);
  const re = new RegExp(`^(?:${source})$`, 'u');
  const sample = sampleOf(source).replace(/^\/+/, '');
  const trimmed = sample.replace(/\/+$/, '');
  if (trimmed === '' || re.test(sersyncEventForm(trimmed))) return null;
  if (re.test(sersyncStartupDirForm(trimmed))) {
    return `<exclude expression="${expression}"> matches a folder only in the form "${sersyncStartupDirForm(trimmed)}", which sersync tested once, for folders that existed at start-up (new ones, tested as "${sersyncEventForm(trimmed)}", were synced); rsync-live excludes such folders whenever they appear`;
  }
  if (trimmed.includes('/') && re.test(trimmed)) {
    return `<exclude expression="${expression}"> matches nothing: sersync tested a path below the top as "${sersyncEventForm(trimmed)}" (with a leading "/"), so it never excluded "${trimmed}", and rsync-live keeps that. To exclude it, write "/${expression.replace(/^\^/, '')}"`;
  }
  return null;
}
