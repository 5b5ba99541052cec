// Benchmark suite, workload (f): start-up on a large existing tree (100,000 directories, 300,000 files, already
// copied to the target so the start-up sync has little to send): time from process start until the tool
// watches, until its start-up sync is done, and peak RSS; plus the idle check on 10,000 directories (RSS and
// CPU over a quiet window after start-up). Owns the trees (built once per suite, or kept with --keep-trees)
// and the temporary raise of fs.inotify.max_user_watches when the trees need more watches than allowed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchTarget } from '../daemons.js';
import { treeCpuSeconds, treeMemory } from '../measure.js';
import { floorSync } from '../tools/floor.js';
import type { RunningTool } from '../tools/types.js';
import type { Metrics, RunResult, ToolId } from '../types.js';
import { buildTree } from '../writers.js';
import { errorText, keepLogs, newRunDir, sleep, startReady, type SuiteContext } from './harness.js';

export const TREES_DIR = path.join(os.tmpdir(), 'rsync-live-bench-trees');

export interface TreeFixture {
  /** 'large', 'idle', or 'tree-N' for the cost trees; also the daemon module's name. */
  name: string;
  src: string;
  /** Served as the daemon module of the same name. */
  dst: string;
  dirs: number;
  files: number;
}

export function fixture(name: string, dirs: number, files: number): TreeFixture {
  return {
    name,
    src: path.join(TREES_DIR, `${name}-src`),
    dst: path.join(TREES_DIR, `${name}-dst`),
    dirs,
    files,
  };
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: exit ${code}`)),
    );
  });
}

/** Builds the tree and its copy on the target unless an identical one is there from an earlier run. */
export async function ensureTree(ctx: SuiteContext, f: TreeFixture): Promise<void> {
  const marker = path.join(TREES_DIR, `${f.name}.json`);
  const want = JSON.stringify({ dirs: f.dirs, files: f.files, layout: 1 });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want && existsSync(f.src)) {
    ctx.log(`  reusing the ${f.name} tree (${f.dirs} directories, ${f.files} files) in ${TREES_DIR}`);
    return;
  }
  await rm(marker, { force: true });
  await Promise.all([
    rm(f.src, { recursive: true, force: true }),
    rm(f.dst, { recursive: true, force: true }),
  ]);
  const t0 = performance.now();
  ctx.log(`  building the ${f.name} tree: ${f.dirs} directories, ${f.files} files …`);
  buildTree(f.src, f.dirs, f.files);
  await mkdir(f.dst, { recursive: true });
  await run('cp', ['-a', `${f.src}/.`, `${f.dst}/`]);
  writeFileSync(marker, want);
  ctx.log(`  built and copied in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const WATCHES = '/proc/sys/fs/inotify/max_user_watches';

/**
 * Makes sure max_user_watches is at least `needed` (only possible as root); returns a function that restores
 * the old value, and a line for the report.
 */
export function raiseWatchLimit(needed: number): { restore: () => void; note: string | null } {
  const current = Number(readFileSync(WATCHES, 'utf8').trim());
  if (current >= needed) return { restore: () => {}, note: null };
  if (process.getuid?.() !== 0) {
    return {
      restore: () => {},
      note: `max_user_watches is ${current}, below the ${needed} the start-up tree needs; not root, so not raised`,
    };
  }
  writeFileSync(WATCHES, String(needed));
  return {
    restore: () => writeFileSync(WATCHES, String(current)),
    note: `fs.inotify.max_user_watches was ${current}; raised to ${needed} for the start-up workload (chokidar also watches every file) and restored after`,
  };
}

/** Start-up on the large tree (or the floor: one `rsync -a --delete` over the identical tree). */
export async function runStartup(
  ctx: SuiteContext,
  tool: ToolId,
  runNo: number,
  f: TreeFixture,
  target: BenchTarget,
  idleWindowMs: number | null,
): Promise<RunResult> {
  const label = idleWindowMs === null ? 'startup' : 'idle';
  const { dir, work } = await newRunDir(ctx, `${label}-${tool}-${runNo}`);
  const metrics: Metrics = {};
  const notes: string[] = [];
  let converged = false;
  try {
    if (tool === 'floor') {
      const fl = await floorSync(f.src, [target], ctx.daemons.passwordFile, ['--delete']);
      metrics['syncedMs'] = fl.perTargetMs[0] ?? NaN;
      metrics['convergeMs'] = metrics['syncedMs'];
      metrics['cpuSec'] = fl.cpuSec;
      notes.push(...fl.errors);
      converged = fl.errors.length === 0;
    } else {
      let running: RunningTool | undefined;
      try {
        const timeout = Math.max(ctx.opts.timeoutMs, 300_000);
        const { running: r, ready } = await startReady(ctx, tool, f.src, [target], work, timeout, (x) => {
          metrics['readyRssMB'] = treeMemory(x.proc.pid, x.mainComm).peakMB;
        });
        running = r;
        const pid = r.proc.pid;
        metrics['watchingMs'] = ready.watchingAt - r.proc.startedAt;
        if (ready.syncedAt !== null) metrics['syncedMs'] = ready.syncedAt - r.proc.startedAt;
        metrics['convergeMs'] = metrics['watchingMs'];
        await sleep(1000);
        if (idleWindowMs !== null) {
          await sleep(1000);
          const cpu0 = treeCpuSeconds(pid);
          await sleep(idleWindowMs);
          metrics['idleCpuSec'] = treeCpuSeconds(pid) - cpu0;
        }
        metrics['cpuSec'] = treeCpuSeconds(pid);
        const mem = treeMemory(pid, r.mainComm);
        metrics['rssMB'] = mem.peakMB;
        metrics['idleRssMB'] = mem.rssMB;
        if (r.proc.exit) notes.push(`the tool exited (${r.proc.exit.signal ?? r.proc.exit.code})`);
        converged = !r.proc.exit;
      } catch (error) {
        notes.push(errorText(error));
      } finally {
        await running?.stop();
      }
    }
  } finally {
    await keepLogs(work, `${label}-${tool}-${runNo}`);
    await rm(dir, { recursive: true, force: true });
  }
  return { run: runNo, converged, metrics, notes };
}
