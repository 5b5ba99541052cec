// Benchmark suite entry (`npm run bench`): runs every chosen workload with every chosen tool, `--runs` times,
// interleaved (run 1 of every tool, then run 2, …), against loopback daemons it starts itself; then writes
// benchmarks.md, benchmarks.png and benchmarks.json (docs/ for a full run) and prints the results table.
// Each run is bounded by a timeout; every tool process group is killed at the end, even on failure.
import { cp, mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderProblem } from '../electron/shared/folder-rules.js';
import { writeChartPng } from './chart.js';
import { parseOptions, UsageError, type BenchOptions } from './config.js';
import { emptyDir, startDaemons, type BenchDaemons } from './daemons.js';
import { findingsOf } from './findings.js';
import { engineVersion, machineInfo, missingPrograms } from './machine.js';
import { killAll, leftovers } from './proc.js';
import { resultsTable, writeReport, WORKLOAD_TITLES } from './report.js';
import { formatBytes, formatSeconds, median, medianMetrics } from './stats.js';
import { evaluateTargets } from './targets.js';
import { WATCH_TOOLS } from './tools/index.js';
import { describeFloor } from './tools/floor.js';
import { useRsyncLiveBin } from './tools/rsync-live.js';
import {
  COST_BURST_WORKLOADS,
  COST_TREE_WORKLOADS,
  TOOL_LABELS,
  WORKLOAD_TOOLS,
  type Sizes,
  type BenchResults,
  type Cell,
  type RunResult,
  type ToolId,
  type WorkloadId,
} from './types.js';
import { bigScenario } from './workloads/big.js';
import { burstScenario } from './workloads/burst.js';
import { churnScenario } from './workloads/churn.js';
import { movesScenario } from './workloads/moves.js';
import { slowWriterScenario } from './workloads/slow-writer.js';
import { errorText, LOGS_DIR, runScenario, type Scenario, type SuiteContext } from './workloads/harness.js';
import { latencyScenario } from './workloads/latency.js';
import {
  ensureTree,
  fixture,
  raiseWatchLimit,
  runStartup,
  TREES_DIR,
  type TreeFixture,
} from './workloads/startup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROGRESS_FILE = path.join(ROOT, 'bench/results/latest.json');

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

function summary(r: RunResult): string {
  const m = r.metrics;
  const bits: string[] = [];
  if (!r.converged) bits.push('DID NOT CONVERGE');
  if (m['convergeMs'] !== undefined) bits.push(`converged ${formatSeconds(m['convergeMs'])}`);
  if (m['p50Ms'] !== undefined)
    bits.push(`p50 ${m['p50Ms'].toFixed(1)} ms, p90 ${(m['p90Ms'] ?? NaN).toFixed(1)} ms`);
  if (m['syncedMs'] !== undefined) bits.push(`synced ${formatSeconds(m['syncedMs'])}`);
  if (m['idleCpuSec'] !== undefined) bits.push(`idle CPU ${m['idleCpuSec'].toFixed(2)} s`);
  if (m['cpuSec'] !== undefined) bits.push(`CPU ${m['cpuSec'].toFixed(2)} s`);
  if (m['rssMB'] !== undefined) bits.push(`RSS ${m['rssMB'].toFixed(0)} MB`);
  if (m['maxSends'] !== undefined) bits.push(`max sends ${m['maxSends']}`);
  if (m['sentBytes'] !== undefined)
    bits.push(`sent ${formatBytes(m['sentBytes'])} in ${m['connections']} rsync run(s)`);
  const note = r.notes[0] ? ` — ${r.notes[0].split('\n')[0]}` : '';
  return `${bits.join(', ')}${note}`;
}

function toolConfigs(tools: readonly ToolId[]): Partial<Record<ToolId, string>> {
  const out: Partial<Record<ToolId, string>> = {};
  for (const t of tools) out[t] = t === 'floor' ? describeFloor() : WATCH_TOOLS[t].describe();
  return out;
}

interface Suite {
  ctx: SuiteContext;
  fixtures: { large: TreeFixture; idle: TreeFixture };
  /** (i) the start-up trees of Sizes.costTreeDirs (the idle or large tree when of the same size). */
  costTrees: TreeFixture[];
  extraFindings: string[];
}

/** The tree fixture a start-up workload runs on, and its start-up window (idle: the idle check). */
function startupFixture(suite: Suite, workload: WorkloadId): TreeFixture | null {
  if (workload === 'startup') return suite.fixtures.large;
  if (workload === 'idle') return suite.fixtures.idle;
  const i = (COST_TREE_WORKLOADS as readonly WorkloadId[]).indexOf(workload);
  return i >= 0 ? (suite.costTrees[i] ?? null) : null;
}

/** (i) the cost trees: the idle or large fixture when one has the size, else a tree of 3 files per directory. */
function costTrees(sizes: Sizes, shared: readonly TreeFixture[]): TreeFixture[] {
  return sizes.costTreeDirs.map(
    (dirs) =>
      shared.find((f) => f.dirs === dirs && f.files === dirs * 3) ?? fixture(`tree-${dirs}`, dirs, dirs * 3),
  );
}

function scenarioFor(suite: Suite, workload: WorkloadId): Scenario | null {
  const { ctx } = suite;
  const d = ctx.daemons;
  switch (workload) {
    case 'burst':
      return burstScenario(ctx, 'burst', [d.target(d.fast, 't1')]);
    case 'three':
      return burstScenario(ctx, 'three', [
        d.target(d.fast, 't1'),
        d.target(d.fast, 't2'),
        d.target(d.fast, 't3'),
      ]);
    case 'latency':
      return latencyScenario(ctx, 'latency', d.target(d.fast, 't1'));
    case 'latency-no-nodelay':
      return latencyScenario(ctx, 'latency-no-nodelay', d.target(d.plain, 't1'));
    case 'big':
      return bigScenario(ctx, d.target(d.fast, 't1'));
    case 'churn':
      return churnScenario(ctx, false, d.target(d.fast, 't1'));
    case 'churn-plain':
      return churnScenario(ctx, true, d.target(d.fast, 't1'));
    case 'moves':
      return movesScenario(ctx, d.target(d.fast, 't1'));
    case 'slow-writer':
      return slowWriterScenario(ctx, d.target(d.fast, 't1'));
    case 'cost-burst-1':
    case 'cost-burst-2':
    case 'cost-burst-3': {
      // The burst workload at another size: 50 files per new directory, as in (a).
      const files = ctx.opts.sizes.costBurstFiles[COST_BURST_WORKLOADS.indexOf(workload)] as number;
      const sizes = { ...ctx.opts.sizes, burstFiles: files, burstDirs: Math.max(1, Math.round(files / 50)) };
      return burstScenario({ ...ctx, opts: { ...ctx.opts, sizes } }, workload, [d.target(d.fast, 't1')]);
    }
    default:
      return null;
  }
}

async function runWorkload(
  suite: Suite,
  workload: WorkloadId,
  cells: Cell[],
  save: () => Promise<void>,
): Promise<void> {
  const { ctx } = suite;
  const { opts } = ctx;
  const tools = WORKLOAD_TOOLS[workload].filter((t) => opts.tools.includes(t));
  if (tools.length === 0) return;
  log(`\n== ${WORKLOAD_TITLES[workload]} (${tools.map((t) => TOOL_LABELS[t]).join(', ')})`);
  const mine = tools.map((tool): Cell => ({
    workload,
    tool,
    runs: [],
    skipped: null,
    medians: {},
    convergedRuns: 0,
  }));
  cells.push(...mine);
  let restore = (): void => {};
  const startupTree = startupFixture(suite, workload);
  if (startupTree) {
    const f = startupTree;
    await ensureTree(ctx, f);
    const raise = raiseWatchLimit(f.dirs + (tools.includes('rsync-live-chokidar') ? f.files : 0) + 20_000);
    restore = raise.restore;
    if (raise.note) {
      log(`  ${raise.note}`);
      suite.extraFindings.push(raise.note);
    }
  }
  try {
    for (let run = 1; run <= opts.runs; run++) {
      for (const cell of mine) {
        if (cell.skipped) continue;
        const tool = cell.tool;
        const t0 = performance.now();
        let result: RunResult;
        try {
          if (startupTree) {
            const f = startupTree;
            const target = ctx.daemons.target(ctx.daemons.fast, f.name);
            result = await runStartup(
              ctx,
              tool,
              run,
              f,
              target,
              workload === 'idle' ? opts.sizes.idleWindowMs : null,
            );
          } else {
            result = await runScenario(ctx, tool, run, scenarioFor(suite, workload) as Scenario);
          }
        } catch (error) {
          result = { run, converged: false, metrics: {}, notes: [`the run failed: ${errorText(error)}`] };
        }
        const left = leftovers();
        if (left.length > 0) {
          const what = left.map((p) => `${p.comm}[${p.pid}]`).join(', ');
          result.notes.push(`processes left after stopping the tool, killed: ${what}`);
          killAll();
        }
        cell.runs.push(result);
        cell.medians = medianMetrics(cell.runs);
        cell.convergedRuns = cell.runs.filter((r) => r.converged).length;
        if (!result.converged && run < opts.runs) {
          cell.skipped = `run ${run} did not converge; runs ${run + 1}–${opts.runs} skipped (same workload every run)`;
        }
        log(
          `  ${TOOL_LABELS[tool].padEnd(28)} run ${run}/${opts.runs}: ${summary(result)} ` +
            `[${((performance.now() - t0) / 1000).toFixed(0)} s]`,
        );
        await save();
      }
    }
  } finally {
    restore();
  }
}

/**
 * Copies the freshly built CLI (bin/rsync-live.js and dist/) to node_modules/.cache/rsync-live-bench/engine/ and
 * runs it from there for the whole suite: the working tree is shared, and someone rebuilding dist/ meanwhile
 * must not change the engine under test. Under node_modules, so its imports still resolve and neither git nor
 * the linters see it; its own package.json keeps it an ES module.
 */
async function snapshotEngine(): Promise<string> {
  const dir = path.join(ROOT, 'node_modules/.cache/rsync-live-bench/engine');
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await cp(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  await cp(path.join(ROOT, 'bin/rsync-live.js'), path.join(dir, 'bin/rsync-live.js'));
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  return path.join(dir, 'bin/rsync-live.js');
}

/** --render: the report and chart again from a results file (targets and findings recomputed). */
async function render(file: string, outDir: string): Promise<number> {
  const old = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  const labels = Object.values(TOOL_LABELS);
  // Files written before suiteNotes existed: the findings not about a tool are the suite's notes.
  const suiteNotes =
    old.suiteNotes ?? old.findings.filter((f) => !labels.some((l) => f.startsWith(`${l}, `)));
  const results: BenchResults = {
    ...old,
    suiteNotes,
    targets: evaluateTargets(old.cells, old.timeoutSec * 1000, old.sizes),
    findings: [...suiteNotes, ...findingsOf(old.cells)],
  };
  let chart: string | null = 'benchmarks.png';
  try {
    await mkdir(outDir, { recursive: true });
    await writeChartPng(results, path.join(outDir, chart));
  } catch (error) {
    log(`chart not written: ${errorText(error)}`);
    chart = null;
  }
  const written = await writeReport(results, outDir, chart);
  log(`wrote ${path.relative(ROOT, written.md)}, ${path.relative(ROOT, written.json)} from ${file}`);
  return 0;
}

/** A symlink in the system temp dir to `dir` (a folder below /dev/shm), used as its path. */
async function linkOutside(dir: string): Promise<string> {
  const link = path.join(os.tmpdir(), path.basename(dir));
  await symlink(dir, link);
  return link;
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (opts.render !== null) return render(opts.render, path.resolve(ROOT, opts.outDir));
  const missing = missingPrograms({
    lsyncd: opts.tools.some((t) => t.startsWith('lsyncd')),
    inotifywait: opts.tools.includes('inotifywait'),
  });
  if (missing.length > 0) {
    process.stderr.write(`bench: missing programs: ${missing.join(', ')}\n`);
    return 2;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const machine = { ...machineInfo(), engine: engineVersion(ROOT) };
  if (opts.tools.some((t) => t.startsWith('rsync-live'))) useRsyncLiveBin(await snapshotEngine());
  log(
    `Rsync Live benchmarks: ${opts.quick ? 'QUICK sizes' : 'full sizes'}, ${opts.runs} run(s), ` +
      `workloads ${opts.workloads.join(', ')}; tools ${opts.tools.join(', ')}; output ${opts.outDir}/`,
  );
  log(
    `${machine.cpu}, ${machine.cores} cores; ${machine.rsync}; lsyncd ${machine.lsyncd}; inotifywait ${machine.inotifywait}`,
  );

  // Sources on a tmpfs: on the shared disk, 20,000 small files take 1–15 s to write depending on what else
  // runs, and every tool keeps up with such a trickle; on tmpfs the burst is a burst (~0.3 s).
  const sourceBase = opts.sourceBase ?? (existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
  const realBase = await mkdtemp(path.join(sourceBase, 'rsync-live-bench-'));
  // Rsync Live refuses folders inside /dev (a tree of the running system): /dev/shm is reached through a
  // symlink in the system temp dir instead, so the watched folders' paths are ordinary ones.
  const baseDir = folderProblem(realBase) === null ? realBase : await linkOutside(realBase);
  const diskDir = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-bench-'));
  // Also on SIGINT/SIGTERM (proc.ts exits the process): no run folders left behind.
  process.on('exit', () => {
    rmSync(realBase, { recursive: true, force: true });
    if (baseDir !== realBase) rmSync(baseDir, { force: true });
    rmSync(diskDir, { recursive: true, force: true });
  });
  await rm(LOGS_DIR, { recursive: true, force: true });
  const fixtures = {
    large: fixture('large', opts.sizes.largeDirs, opts.sizes.largeFiles),
    idle: fixture('idle', opts.sizes.idleDirs, opts.sizes.idleFiles),
  };
  await mkdir(TREES_DIR, { recursive: true });
  let daemons: BenchDaemons | undefined;
  const cells: Cell[] = [];
  const extraFindings: string[] = [];
  const configs = toolConfigs(opts.tools);
  const loads: number[] = [os.loadavg()[0] ?? 0];
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0] ?? 0), 30_000);
  loadTimer.unref();
  const results = (): BenchResults => ({
    startedAt: startedAt.toISOString(),
    durationSec: Math.round((performance.now() - t0) / 1000),
    quick: opts.quick,
    runs: opts.runs,
    timeoutSec: opts.timeoutMs / 1000,
    settleSec: opts.settleMs / 1000,
    sizes: opts.sizes,
    sourceBase,
    machine,
    toolConfigs: configs,
    cells,
    targets: evaluateTargets(cells, opts.timeoutMs, opts.sizes),
    suiteNotes: extraFindings,
    findings: [...extraFindings, ...findingsOf(cells)],
    loadAverage: { min: Math.min(...loads), median: median(loads) ?? 0, max: Math.max(...loads) },
  });
  const save = async (): Promise<void> => {
    await mkdir(path.dirname(PROGRESS_FILE), { recursive: true });
    await writeFile(PROGRESS_FILE, `${JSON.stringify(results(), null, 1)}\n`);
  };
  try {
    const trees = costTrees(opts.sizes, [fixtures.idle, fixtures.large]);
    const own = trees.filter((f) => f !== fixtures.idle && f !== fixtures.large);
    daemons = await startDaemons([
      { name: 'large', path: fixtures.large.dst },
      { name: 'idle', path: fixtures.idle.dst },
      ...own.map((f) => ({ name: f.name, path: f.dst })),
    ]);
    const suite: Suite = {
      ctx: { opts, daemons, baseDir, diskDir, log },
      fixtures,
      costTrees: trees,
      extraFindings,
    };
    for (const workload of opts.workloads) await runWorkload(suite, workload, cells, save);
  } finally {
    killAll();
    if (daemons) {
      for (const m of ['t1', 't2', 't3']) await emptyDir(daemons.fast.modulePaths[m] as string);
      await daemons.dispose();
    }
    await rm(realBase, { recursive: true, force: true });
    if (baseDir !== realBase) await rm(baseDir, { force: true });
    await rm(diskDir, { recursive: true, force: true });
    if (!opts.keepTrees) await rm(TREES_DIR, { recursive: true, force: true });
  }
  clearInterval(loadTimer);
  loads.push(os.loadavg()[0] ?? 0);
  const final = results();
  const outDir = path.resolve(ROOT, opts.outDir);
  let chart: string | null = 'benchmarks.png';
  try {
    await mkdir(outDir, { recursive: true });
    await writeChartPng(final, path.join(outDir, chart));
  } catch (error) {
    log(`chart not written: ${errorText(error)}`);
    chart = null;
  }
  const written = await writeReport(final, outDir, chart);
  await save();
  const left = leftovers();
  log(`\n${resultsTable(final)}\n`);
  for (const t of final.targets) log(`${t.verdict.padEnd(6)} ${t.target}: ${t.value} — ${t.detail}`);
  log(
    `\nwrote ${path.relative(ROOT, written.md)}, ${path.relative(ROOT, written.json)}${chart ? `, ${path.relative(ROOT, path.join(outDir, chart))}` : ''}`,
  );
  log(`suite took ${(final.durationSec / 60).toFixed(1)} min; tool processes left: ${left.length}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAll();
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
