// Byte-exact paths. Linux file names are bytes, not text: the engine keeps every relative path as a "binary"
// string (latin1, one char per byte) so Map keys, prefixes and comparisons are exact for any name, including
// non-UTF-8 ones, and converts to a Buffer only at the edge (fs calls, rsync's stdin).

/** A path relative to the watched folder, one char per byte, "/"-separated, no leading or trailing "/". */
export type RelPath = string & { readonly __relPath: unique symbol };

export const ROOT = '' as RelPath;

export function relFromBuffer(buf: Buffer): RelPath {
  return buf.toString('latin1') as RelPath;
}

export function relFromUtf8(text: string): RelPath {
  return Buffer.from(text, 'utf8').toString('latin1') as RelPath;
}

export function toBuffer(rel: string): Buffer {
  return Buffer.from(rel, 'latin1');
}

/** For people: UTF-8 decoding with U+FFFD for invalid bytes. Never use the result to address a file. */
export function display(rel: string): string {
  return toBuffer(rel).toString('utf8');
}

export function join(parent: RelPath, name: string): RelPath {
  return (parent === '' ? name : `${parent}/${name}`) as RelPath;
}

export function parentOf(rel: RelPath): RelPath {
  const slash = rel.lastIndexOf('/');
  return (slash < 0 ? '' : rel.slice(0, slash)) as RelPath;
}

export function baseName(rel: RelPath): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/** True when `path` is `dir` itself or lies below it. The root contains everything. */
export function isWithin(path: string, dir: string): boolean {
  return (
    dir === '' ||
    path === dir ||
    (path.length > dir.length && path.startsWith(dir) && path[dir.length] === '/')
  );
}

/** Every proper ancestor of `rel`, nearest first (the root excluded). */
export function* ancestors(rel: RelPath): Generator<RelPath> {
  let slash = rel.lastIndexOf('/');
  while (slash > 0) {
    yield rel.slice(0, slash) as RelPath;
    slash = rel.lastIndexOf('/', slash - 1);
  }
}

/** Absolute path of `rel` under `root` as a Buffer, safe for fs calls whatever the bytes. */
export function absolute(root: Buffer, rel: string): Buffer {
  if (rel === '') return root;
  return Buffer.concat([root, Buffer.from('/'), toBuffer(rel)]);
}

/** Paths without those below another listed path (a directory, with or without its "/", covers what it holds). */
export function topMost<P extends string>(paths: readonly P[]): P[] {
  const set = new Set(paths.map((p) => p.replace(/\/$/, '')));
  return paths.filter((p) => {
    for (const dir of ancestors(p.replace(/\/$/, '') as RelPath)) if (set.has(dir)) return false;
    return true;
  });
}
