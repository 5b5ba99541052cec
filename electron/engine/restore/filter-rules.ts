// The filter rules that make one recursive `rsync --list-only` return exactly the entries restore needs (one
// directory's children, the requested paths' trees, a path's copies in every versions date), sent NUL-separated
// on stdin (--exclude-from=- --from0) so names of any bytes work and the server's wildcard matching sees them
// escaped. Pure: no I/O.
import { ancestors, toBuffer, type RelPath } from '../byte-path.js';
import { escapeWildcards, literalPattern } from './access.js';

/** Every proper ancestor, outermost first. */
function parents(path: RelPath): RelPath[] {
  return [...ancestors(path)].reverse();
}

/** `+ /a/`, `+ /a/b/` for the ancestors of `path`, under `prefix` (a wildcard prefix such as "*"). */
function ancestorRules(path: RelPath, prefix: string | null): string[] {
  return parents(path).map((dir) =>
    prefix === null ? `+ /${literalPattern(dir)}/` : `+ /${prefix}/${escapeWildcards(dir)}/`,
  );
}

/** The children of `dir` (not the root: the root is listed without rules). */
export function childrenRules(dir: RelPath): string[] {
  return [...ancestorRules(dir, null), `+ /${literalPattern(dir)}`, `+ /${escapeWildcards(dir)}/*`, '- *'];
}

/** The requested paths and, for directories, everything below them. */
export function treeRules(paths: readonly RelPath[]): string[] {
  const rules = new Set<string>();
  for (const path of paths) {
    for (const rule of ancestorRules(path, null)) rules.add(rule);
    rules.add(`+ /${literalPattern(path)}`);
    rules.add(`+ /${escapeWildcards(path)}/**`);
  }
  return [...rules, '- *'];
}

/** Listed from the versions folder: every date's copy of `path` (and of nothing else). */
export function versionRules(path: RelPath): string[] {
  return ['+ /*/', ...ancestorRules(path, '*'), `+ /*/${escapeWildcards(path)}`, '- *'];
}

/** Listed from the versions folder: every date's entries directly inside `dir` ('' = the root). */
export function versionChildrenRules(dir: RelPath): string[] {
  if (dir === '') return ['+ /*/', '+ /*/*', '- *'];
  return [
    '+ /*/',
    ...ancestorRules(dir, '*'),
    `+ /*/${escapeWildcards(dir)}/`,
    `+ /*/${escapeWildcards(dir)}/*`,
    '- *',
  ];
}

const NUL = Buffer.from([0]);

export function encodeFilterRules(rules: readonly string[]): Buffer {
  return Buffer.concat(rules.flatMap((rule) => [toBuffer(rule), NUL]));
}
