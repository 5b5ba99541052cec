// Benchmark suite: writes the workloads' files into a source folder as fast as the process can (synchronous
// fs calls, so nothing else runs in between) and says what the target must end up holding. Also builds the
// large trees for the start-up workload.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface Written {
  /** Relative path → size, of every file written. */
  expected: Map<string, number>;
  /** performance.now() right after the last write returned (file closed). */
  lastWriteAt: number;
  /** From the first write to the last. */
  writeMs: number;
}

/** `files` files of `bytes` bytes spread over `dirs` new directories d000/…, each created just before use. */
export function writeBurst(root: string, files: number, dirs: number, bytes: number): Written {
  const data = Buffer.alloc(bytes, 0x61);
  const expected = new Map<string, number>();
  const perDir = Math.ceil(files / dirs);
  const t0 = performance.now();
  let n = 0;
  for (let d = 0; d < dirs && n < files; d++) {
    const dir = `d${String(d).padStart(3, '0')}`;
    mkdirSync(path.join(root, dir));
    for (let f = 0; f < perDir && n < files; f++, n++) {
      const rel = `${dir}/f${String(f).padStart(4, '0')}`;
      writeFileSync(path.join(root, rel), data);
      expected.set(rel, bytes);
    }
  }
  const lastWriteAt = performance.now();
  return { expected, lastWriteAt, writeMs: lastWriteAt - t0 };
}

/** `count` files of `mib` MiB each, one after the other, each written in 1 MiB chunks then closed. */
export function writeBigFiles(root: string, count: number, mib: number): Written {
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const expected = new Map<string, number>();
  mkdirSync(path.join(root, 'big'));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const rel = `big/file${String(i).padStart(2, '0')}.bin`;
    const fd = openSync(path.join(root, rel), 'w');
    try {
      for (let c = 0; c < mib; c++) {
        chunk.writeUInt32LE(i * 1000 + c, 0); // no two chunks alike
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
    expected.set(rel, mib << 20);
  }
  const lastWriteAt = performance.now();
  return { expected, lastWriteAt, writeMs: lastWriteAt - t0 };
}

/**
 * A tree of `dirs` directories (p000/ at the top, up to 999 q000/ below each) holding `files` small files
 * (64–263 bytes) spread evenly over all directories.
 */
export function buildTree(root: string, dirs: number, files: number): void {
  mkdirSync(root, { recursive: true });
  const all: string[] = [];
  let top = '';
  for (let i = 0; i < dirs; i++) {
    if (i % 1000 === 0) {
      top = `p${String(i / 1000).padStart(3, '0')}`;
      all.push(top);
    } else all.push(`${top}/q${String(i % 1000).padStart(3, '0')}`);
  }
  for (const d of all) mkdirSync(path.join(root, d));
  const data = Buffer.alloc(264, 0x62);
  for (let f = 0; f < files; f++) {
    const dir = all[f % all.length] as string;
    writeFileSync(path.join(root, dir, `f${f}`), data.subarray(0, 64 + (f % 200)));
  }
}
