// Watcher start-up benchmark: how long a backend takes to watch an existing tree, and what it costs in memory
// and CPU. Builds a tree of N directories (fan-out 10, 3 small files each) once under the OS temp directory and
// reuses it; then runs each measurement in a fresh child process and prints the median of the runs:
// time to ready, RSS after ready, peak RSS (VmHWM), heap used after GC, CPU to start, CPU while idle for 2 s.
// `--engine` measures the whole Engine (local-directory target, no start-up full sync) instead of the watcher;
// `--cli` the built command (`node bin/rsync-live.js watch TREE DEST --no-initial-sync`, npm run build first) as
// its own process, without tsx: ready = the "watching" log line, RSS/peak read from /proc after 2 s idle.
// The inotify backend runs natively when the addon is built; RSYNC_LIVE_NO_NATIVE=1 measures its fs.watch fallback.
// Run: npx tsx bench/watcher-startup.ts --dirs 100000 [--backend inotify|chokidar] [--engine|--cli] [--runs 3]
// The inotify watch limit (fs.inotify.max_user_watches) must exceed --dirs. Not part of the tests (noisy).
// RSS includes tsx's loader thread (~40 MB over a built engine run with plain node, see "base").
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dirs: { type: 'string', default: '10000' },
    backend: { type: 'string', default: 'inotify' },
    engine: { type: 'boolean', default: false },
    cli: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    tree: { type: 'string' },
    child: { type: 'boolean', default: false },
  },
});
const DIRS = Number(values.dirs);
const TREE = values.tree ?? path.join(os.tmpdir(), `rsync-live-watch-tree-${DIRS}`);

interface Sample {
  readyMs: number;
  directories: number;
  /** RSS before start (node, tsx, the engine's modules). */
  baseMB: number;
  rssMB: number;
  hwmMB: number;
  heapMB: number;
  startCpuMs: number;
  idleCpuMs: number;
}

/** Breadth-first: every directory gets up to 10 subdirectories until there are N (the root not counted). */
function buildTree(root: string, dirs: number): void {
  if (fs.existsSync(path.join(root, '.complete'))) return;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const queue = [root];
  let made = 0;
  for (let i = 0; made < dirs; i++) {
    const parent = queue[i] as string;
    for (let c = 0; c < 10 && made < dirs; c++, made++) {
      const dir = path.join(parent, `d${c}`);
      fs.mkdirSync(dir);
      for (let f = 0; f < 3; f++) fs.writeFileSync(path.join(dir, `f${f}.txt`), `${dir} ${f}\n`);
      queue.push(dir);
    }
  }
  fs.writeFileSync(path.join(root, '.complete'), '');
}

function vmHwmMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const MB = (bytes: number) => bytes / 1024 / 1024;

async function measure(): Promise<Sample> {
  const backend = values.backend as 'inotify' | 'chokidar';
  const gc = (globalThis as { gc?: () => void }).gc;
  let directories: () => number;
  let close: () => Promise<void>;
  const { Engine } = await import('../electron/engine/index.js');
  const { pairSchema } = await import('../electron/shared/config.js');
  const { createWatcher } = await import('../electron/engine/watcher/index.js');
  gc?.();
  const baseMB = MB(process.memoryUsage().rss);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (values.engine) {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync-live-watch-dest-'));
    const engine = new Engine();
    const config = pairSchema.parse({
      id: 'bench',
      folder: TREE,
      targets: [{ url: dest }],
      watcher: backend,
      fullSync: { onStart: false },
    });
    await engine.addPair(config);
    directories = () => engine.state().pairs[0]?.watcher.directories ?? 0;
    close = async () => {
      await engine.stop();
      fs.rmSync(dest, { recursive: true, force: true });
    };
  } else {
    const watcher = createWatcher(backend, {
      root: Buffer.from(TREE),
      folder: TREE,
      ignored: () => false,
    });
    watcher.on('error', (e) => console.error(`${e.kind}: ${e.message}`));
    await watcher.start();
    directories = () => watcher.directories;
    close = () => watcher.close();
  }
  const readyMs = performance.now() - t0;
  const startCpuMs = cpuMs(process.cpuUsage(cpu0));
  const rssMB = MB(process.memoryUsage().rss);
  gc?.();
  const heapMB = MB(process.memoryUsage().heapUsed);
  const cpu1 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleCpuMs = cpuMs(process.cpuUsage(cpu1));
  const sample = {
    readyMs,
    directories: directories(),
    baseMB,
    rssMB,
    hwmMB: vmHwmMB(),
    heapMB,
    startCpuMs,
    idleCpuMs,
  };
  await close();
  return sample;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** The built CLI in its own process: what a user runs, without tsx's loader. */
async function measureCli(): Promise<Sample> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'rsync-live-watch-dest-'));
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/rsync-live.js'),
      'watch',
      TREE,
      dest,
      '--no-initial-sync',
      '--watcher',
      values.backend,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = child.pid as number;
  const status = (key: string) =>
    Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) /
    1024;
  const cpu = () => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / 100) * 1000;
  };
  let out = '';
  const directories = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const m = /watching .* \((\d+) directories, ([^)]*\)?)\)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`rsync-live exited (${code}) before watching:\n${out}`)));
  });
  const readyMs = performance.now() - t0;
  const startCpuMs = cpu();
  const rssMB = status('VmRSS');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleCpuMs = cpu() - startCpuMs;
  const sample = {
    readyMs,
    directories,
    baseMB: NaN,
    rssMB,
    hwmMB: status('VmHWM'),
    heapMB: NaN,
    startCpuMs,
    idleCpuMs,
  };
  console.error(`  ${/\(\d+ directories, .*\)$/m.exec(out)?.[0] ?? ''}`);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  fs.rmSync(dest, { recursive: true, force: true });
  return sample;
}

async function main(): Promise<void> {
  if (values.child && values.cli) {
    process.stdout.write(`${JSON.stringify(await measureCli())}\n`);
    process.exit(0);
  }
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await measure())}\n`);
    process.exit(0);
  }
  const t = performance.now();
  buildTree(TREE, DIRS);
  console.log(`tree ${TREE}: ${DIRS} directories (${Math.round(performance.now() - t)} ms to check/build)`);
  const self = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, '--expose-gc', self, ...process.argv.slice(2), '--child'];
  const samples: Sample[] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    const child = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    const sample = JSON.parse(line) as Sample;
    samples.push(sample);
    console.log(`run ${run + 1}: ${format(sample)}`);
  }
  const keys = Object.keys(samples[0] as Sample) as (keyof Sample)[];
  const med = Object.fromEntries(
    keys.map((k) => [k, median(samples.map((s) => s[k] ?? NaN))]),
  ) as unknown as Sample;
  console.log(
    `median (${values.cli ? 'cli' : values.engine ? 'engine' : 'watcher'}, ${values.backend}): ${format(med)}`,
  );
}

function format(s: Sample): string {
  // --cli has no base or heap figure (JSON turns their NaN into null).
  const mb = (x: number | null) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(0));
  return (
    `ready ${(s.readyMs / 1000).toFixed(2)} s, ${s.directories} dirs, RSS ${mb(s.rssMB)} MB ` +
    `(base ${mb(s.baseMB)}, ` +
    `peak ${mb(s.hwmMB)} MB), heap ${mb(s.heapMB)} MB, CPU ${(s.startCpuMs / 1000).toFixed(2)} s, ` +
    `idle CPU ${s.idleCpuMs.toFixed(0)} ms/2 s`
  );
}

await main();
