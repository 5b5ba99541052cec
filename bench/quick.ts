// Quick in-process benchmark for the engine's two headline numbers (superseded by the full suite, `npm run bench`
// in bench/run.ts, which runs the CLI beside its peers; kept for fast checks), on loopback against a real daemon:
// (1) latency: 1 KiB files written 50 ms apart, time from close to visible on the target (p50/p90/max);
// (2) burst: 20,000 × 4 KiB files in 400 new directories, time from the last write until the target holds
//     them all, next to the floor (one `rsync -a` of the final tree into an empty module).
// Run: npm run bench:quick [-- --files 20000 --latency 200]. Not part of the tests (timings are noisy here).
import { execa } from 'execa';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../electron/engine/index.js';
import { pairSchema } from '../electron/shared/config.js';
import { startRsyncDaemon } from '../test/helpers/rsync-daemon.js';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '20000' }, latency: { type: 'string', default: '200' } },
});
const FILES = Number(values.files);
const LATENCY_SAMPLES = Number(values.latency);
const DIRS = Math.max(1, Math.round(FILES / 50));

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function countFiles(root: string): Promise<number> {
  let count = 0;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop() as string;
    for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) stack.push(path.join(dir, e.name));
      else if (e.isFile()) count++;
    }
  }
  return count;
}

async function main(): Promise<void> {
  const daemon = await startRsyncDaemon({
    socketNodelay: true,
    modules: [{ name: 'live' }, { name: 'floor' }],
  });
  const src = await fsp.mkdtemp(path.join(os.tmpdir(), 'rsync-live-bench-'));
  const engine = new Engine();
  await engine.addPair({
    ...pairSchema.parse({ id: 'bench', folder: src, targets: [{ url: daemon.url('live') }] }),
    targets: [
      {
        ...pairSchema.parse({ id: 'x', folder: src, targets: [{ url: daemon.url('live') }] }).targets[0]!,
        password: daemon.password,
      },
    ],
  });
  await engine.whenIdle();
  const live = daemon.modulePaths.live as string;

  // (1) latency
  const seen = new Map<string, number>();
  const watcher = fs.watch(live, (_type, name) => {
    if (name && !seen.has(name) && !name.startsWith('.')) seen.set(name, performance.now());
  });
  const written = new Map<string, number>();
  const payload = Buffer.alloc(1024, 7);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const name = `lat-${i}`;
    fs.writeFileSync(path.join(src, name), payload);
    written.set(name, performance.now());
    await sleep(50);
  }
  await sleep(500);
  watcher.close();
  const latencies = [...written].map(([name, t]) => (seen.get(name) ?? NaN) - t).sort((a, b) => a - b);
  const missing = latencies.filter((x) => Number.isNaN(x)).length;

  // (2) burst
  const burst = path.join(src, 'burst');
  const data = Buffer.alloc(4096, 1);
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(burst, `d${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES / DIRS; f++) fs.writeFileSync(path.join(dir, `f${f}`), data);
  }
  const lastWrite = performance.now();
  const expected = (await countFiles(src)) - 0;
  let converged = NaN;
  for (let i = 0; i < 1200; i++) {
    if ((await countFiles(live)) >= expected) {
      converged = performance.now() - lastWrite;
      break;
    }
    await sleep(50);
  }
  const cpu = process.cpuUsage(cpuBefore);
  await engine.stop();

  // floor: one rsync -a of the final tree into an empty module
  const f0 = performance.now();
  await execa('rsync', ['-a', '--sockopts=TCP_NODELAY', `${src}/`, daemon.url('floor')], {
    env: { RSYNC_PASSWORD: daemon.password },
  });
  const floor = performance.now() - f0;

  const rows: [string, string][] = [
    [
      'latency p50 / p90 / max (ms)',
      `${pct(latencies, 50).toFixed(1)} / ${pct(latencies, 90).toFixed(1)} / ${(latencies.filter((x) => !Number.isNaN(x)).at(-1) ?? NaN).toFixed(1)}${missing ? ` (${missing} missing)` : ''}`,
    ],
    [`burst: ${FILES} files in ${DIRS} dirs written in (ms)`, (lastWrite - t0).toFixed(0)],
    ['burst: converged after last write (ms)', converged.toFixed(0)],
    ['floor: one rsync -a of the final tree (ms)', floor.toFixed(0)],
    ['ratio converge / floor', (converged / floor).toFixed(2)],
    ['engine process CPU during burst (s, excl. rsync)', ((cpu.user + cpu.system) / 1e6).toFixed(2)],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(50)} ${v}`);
  await daemon.dispose();
  await fsp.rm(src, { recursive: true, force: true });
}

await main();
