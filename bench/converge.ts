// Benchmark suite: decides when a target holds what the source holds, by polling the module's directory on
// disk. The poll interval grows with the wait (2 % of the time elapsed, 10–200 ms), so a slow tool is not
// slowed further by a busy poller on a two-core machine and a fast one is still timed to within ~10 ms.
import { lstat, readdir } from 'node:fs/promises';
import { diffManifests, manifest } from '../test/helpers/manifest.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function pollInterval(elapsedMs: number): number {
  return Math.min(200, Math.max(10, elapsedMs / 50));
}

export interface WaitOutcome {
  /** performance.now() when the target was first seen complete; null on timeout. */
  doneAt: number | null;
  /** What was still missing or different at the timeout (a few examples), empty when done. */
  missing: string[];
  /** How many entries were still missing or different at the timeout. */
  missingCount: number;
  /** waitForTree: the differences by kind (see diffKinds). */
  kinds?: DiffKinds;
}

export interface DiffKinds {
  /** On the source, not on the target. */
  missing: number;
  /** On the target, not on the source. */
  extra: number;
  /** Same type and size, different content: a rewrite the tool did not send. */
  content: number;
  /** Other differences (mode, type, size, symlink target). */
  other: number;
  /** Missing entries whose path holds a byte rsync's filter rules treat specially or that is not printable. */
  oddNames: number;
}

/** Sorts diffManifests lines by kind. */
export function diffKinds(diffs: readonly string[]): DiffKinds {
  const k: DiffKinds = { missing: 0, extra: 0, content: 0, other: 0, oddNames: 0 };
  for (const d of diffs) {
    if (d.startsWith('missing on target:') || d.startsWith('extra on target:')) {
      if (!d.startsWith('missing')) {
        k.extra++;
        continue;
      }
      k.missing++;
      const name = d.slice(d.indexOf(':') + 1);
      if (/[[\]*?#;\\]|\\n|\\t|\\x|not UTF-8|[^\x20-\x7e]/.test(name)) k.oddNames++;
    } else if (/^differs: .*: sha256 [^,]*$/.test(d)) k.content++;
    else if (d.startsWith('differs:')) k.other++;
  }
  return k;
}

/**
 * Waits until every file of `expected` (relative path → size) exists under `root` with that size. rsync writes
 * a temporary name and renames it, so a final name with the right size is a finished file.
 */
export async function waitForFiles(
  root: string,
  expected: ReadonlyMap<string, number>,
  startedAt: number,
  deadline: number,
): Promise<WaitOutcome> {
  // Remaining files grouped by directory: each poll lists only directories that still miss something.
  const byDir = new Map<string, Map<string, number>>();
  for (const [rel, size] of expected) {
    const slash = rel.lastIndexOf('/');
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    const name = rel.slice(slash + 1);
    let m = byDir.get(dir);
    if (!m) byDir.set(dir, (m = new Map()));
    m.set(name, size);
  }
  for (;;) {
    for (const [dir, names] of byDir) {
      const abs = dir === '' ? root : `${root}/${dir}`;
      let listed: string[];
      try {
        listed = await readdir(abs);
      } catch {
        continue;
      }
      for (const name of listed) {
        const size = names.get(name);
        if (size === undefined) continue;
        try {
          if ((await lstat(`${abs}/${name}`)).size === size) names.delete(name);
        } catch {
          // renamed away meanwhile
        }
      }
      if (names.size === 0) byDir.delete(dir);
    }
    const now = performance.now();
    if (byDir.size === 0) return { doneAt: now, missing: [], missingCount: 0 };
    if (now > deadline) {
      const missing: string[] = [];
      let missingCount = 0;
      for (const [dir, names] of byDir) {
        missingCount += names.size;
        for (const name of names.keys()) if (missing.length < 5) missing.push(dir ? `${dir}/${name}` : name);
      }
      return { doneAt: null, missing, missingCount };
    }
    await sleep(pollInterval(now - startedAt));
  }
}

async function quickWalk(root: string): Promise<Map<string, string>> {
  // A manifest without content hashes: cheap enough to poll; the full comparison runs once this matches.
  const out = new Map<string, string>();
  const walk = async (abs: Buffer, rel: string): Promise<void> => {
    let names: Buffer[];
    try {
      names = (await readdir(abs, { encoding: 'buffer' })) as Buffer[];
    } catch {
      return;
    }
    for (const name of names) {
      const r = rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
      const a = Buffer.concat([abs, Buffer.from('/'), name]);
      try {
        const st = await lstat(a);
        const type = st.isSymbolicLink()
          ? 'symlink'
          : st.isFile()
            ? 'file'
            : st.isDirectory()
              ? 'dir'
              : 'other';
        out.set(r, `${type}|${type === 'dir' || type === 'other' ? 0 : st.size}|${st.mode & 0o7777}`);
        if (type === 'dir') await walk(a, r);
      } catch {
        // vanished
      }
    }
  };
  await walk(Buffer.from(root.replace(/\/+$/, '')), '');
  return out;
}

function sameQuick(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * Waits until the tree under `dst` equals the (no longer changing) tree under `src`: same names (bytes), types,
 * sizes, modes, symlink targets and file contents (SHA-256), as test/helpers/manifest.ts compares them.
 */
export async function waitForTree(
  src: string,
  dst: string,
  startedAt: number,
  deadline: number,
): Promise<WaitOutcome> {
  const want = await manifest(src);
  const wantQuick = new Map([...want].map(([k, e]) => [k, `${e.type}|${e.size}|${e.mode}`]));
  for (;;) {
    const got = await quickWalk(dst);
    if (sameQuick(wantQuick, got)) {
      const full = await manifest(dst).catch(() => null);
      if (full && diffManifests(want, full, 0).length === 0) {
        return { doneAt: performance.now(), missing: [], missingCount: 0 };
      }
    }
    const now = performance.now();
    if (now > deadline) {
      const full = await manifest(dst);
      const diffs = diffManifests(want, full, 100_000);
      return {
        doneAt: null,
        missing: diffs.slice(0, 6),
        missingCount: diffs.length,
        kinds: diffKinds(diffs),
      };
    }
    await sleep(Math.max(50, pollInterval(now - startedAt)));
  }
}
