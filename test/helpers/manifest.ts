// Test helper: owns byte-exact tree manifests (names as raw bytes, no symlink following), their diffing and
// polling until two trees converge.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Entry {
  type: EntryType;
  /** Bytes for files, target length for symlinks, 0 for dirs/others (dir sizes are filesystem noise). */
  size: number;
  /** st.mode & 0o7777 */
  mode: number;
  /** Hex SHA-256 of the content (files only). */
  sha256?: string;
  /** Symlink target as a latin1 string (symlinks only). */
  target?: string;
}

/** Keys are `/`-separated paths relative to the root, each byte mapped to one latin1 char. */
export type Manifest = Map<string, Entry>;

export interface ManifestOptions {
  /** Gets the latin1 relative path; an ignored dir is not descended into. */
  ignore?: (rel: string) => boolean;
}

const SLASH = Buffer.from('/');

function isVanished(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function hashFile(file: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Walk `root` without following symlinks. Entries that vanish during the walk are skipped (trees may be live).
 * The root itself is not included.
 */
export async function manifest(root: string, opts: ManifestOptions = {}): Promise<Manifest> {
  const out: Manifest = new Map();
  const walk = async (absDir: Buffer, relDir: string): Promise<void> => {
    let dirents;
    try {
      dirents = await readdir(absDir, { encoding: 'buffer', withFileTypes: true });
    } catch (err) {
      if (relDir !== '' && isVanished(err)) return;
      throw err;
    }
    const names = dirents.map((d) => d.name as unknown as Buffer);
    names.sort(Buffer.compare);
    for (const name of names) {
      const rel = relDir === '' ? name.toString('latin1') : `${relDir}/${name.toString('latin1')}`;
      if (opts.ignore?.(rel)) continue;
      const abs = Buffer.concat([absDir, SLASH, name]);
      try {
        const st = await lstat(abs);
        const mode = st.mode & 0o7777;
        if (st.isSymbolicLink()) {
          const target = await readlink(abs, { encoding: 'buffer' });
          out.set(rel, { type: 'symlink', size: target.length, mode, target: target.toString('latin1') });
        } else if (st.isFile()) {
          out.set(rel, { type: 'file', size: st.size, mode, sha256: await hashFile(abs) });
        } else if (st.isDirectory()) {
          out.set(rel, { type: 'dir', size: 0, mode });
          await walk(abs, rel);
        } else {
          out.set(rel, { type: 'other', size: 0, mode });
        }
      } catch (err) {
        if (isVanished(err)) {
          out.delete(rel);
          continue;
        }
        throw err;
      }
    }
  };
  await walk(Buffer.from(root.replace(/\/+$/, '') || '/'), '');
  return out;
}

/** Human-readable form of a latin1 key: JSON-escaped UTF-8, or `\xNN` escapes when the bytes aren't UTF-8. */
export function displayPath(rel: string): string {
  const bytes = Buffer.from(rel, 'latin1');
  const utf8 = bytes.toString('utf8');
  if (Buffer.from(utf8, 'utf8').equals(bytes)) return JSON.stringify(utf8);
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${s}" (not UTF-8)`;
}

function describe(e: Entry): string {
  return e.type === 'symlink' ? `symlink -> ${displayPath(e.target ?? '')}` : e.type;
}

/**
 * Differences between an expected tree `a` (source) and an actual tree `b` (target), at most `limit` lines
 * plus a final "... and N more" line. Empty when equal.
 */
export function diffManifests(a: Manifest, b: Manifest, limit = 20): string[] {
  const diffs: string[] = [];
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const key of keys) {
    const x = a.get(key);
    const y = b.get(key);
    const p = displayPath(key);
    if (y === undefined) {
      diffs.push(`missing on target: ${p} (${describe(x!)})`);
    } else if (x === undefined) {
      diffs.push(`extra on target: ${p} (${describe(y)})`);
    } else {
      const fields: string[] = [];
      if (x.type !== y.type) fields.push(`type ${x.type} != ${y.type}`);
      if (x.size !== y.size) fields.push(`size ${x.size} != ${y.size}`);
      if (x.mode !== y.mode) fields.push(`mode ${x.mode.toString(8)} != ${y.mode.toString(8)}`);
      if (x.sha256 !== y.sha256) {
        fields.push(`sha256 ${x.sha256?.slice(0, 12) ?? '-'} != ${y.sha256?.slice(0, 12) ?? '-'}`);
      }
      if (x.target !== y.target) {
        fields.push(`target ${displayPath(x.target ?? '')} != ${displayPath(y.target ?? '')}`);
      }
      if (fields.length > 0) diffs.push(`differs: ${p}: ${fields.join(', ')}`);
    }
  }
  if (diffs.length <= limit) return diffs;
  return [...diffs.slice(0, limit), `... and ${diffs.length - limit} more differences`];
}

export interface ConvergeOptions extends ManifestOptions {
  /** Default 15000. */
  timeoutMs?: number;
  /** Default 100. */
  intervalMs?: number;
}

/** Poll until `dst` is byte-identical to `src` (per manifest), or throw with the first differences. */
export async function waitForConverge(src: string, dst: string, opts: ConvergeOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 100;
  const mopts: ManifestOptions = opts.ignore ? { ignore: opts.ignore } : {};
  const deadline = Date.now() + timeoutMs;
  let last: string[];
  for (;;) {
    try {
      const [a, b] = await Promise.all([manifest(src, mopts), manifest(dst, mopts)]);
      last = diffManifests(a, b);
      if (last.length === 0) return;
    } catch (err) {
      last = [`manifest failed: ${(err as Error).message}`];
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `trees did not converge within ${timeoutMs} ms\n  src: ${src}\n  dst: ${dst}\n  ${last.join('\n  ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
