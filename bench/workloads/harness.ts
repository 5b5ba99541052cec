// Benchmark suite: runs one tool through one scenario once, the same way for every tool: fresh source folder,
// emptied target modules, tool started and ready (watching, start-up sync done), CPU read, the scenario's
// writes and wait for convergence, a fixed settle window, CPU and memory read again, tool stopped, daemon log
// read. The floor runs the scenario's writes first and then one rsync per target instead.
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../config.js';
import type { Transfers } from '../daemon-log.js';
import { emptyDir, logMark, transfersSince, type BenchDaemons, type BenchTarget } from '../daemons.js';
import { treeCpuSeconds, treeMemory } from '../measure.js';
import { WATCH_TOOLS } from '../tools/index.js';
import type { Ready, RunningTool } from '../tools/types.js';
import type { Metrics, RunResult, ToolId, WorkloadId } from '../types.js';

export const READY_TIMEOUT_MS = 60_000;

/** Tool logs of every run are kept here (bench/results is not committed) for a look after the suite. */
export const LOGS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results/logs');

/** Copies the run's tool logs (work/*.log) to LOGS_DIR as LABEL.log. */
export async function keepLogs(work: string, label: string): Promise<void> {
  const logs = (await readdir(work).catch(() => [] as string[])).filter((n) => n.endsWith('.log'));
  if (logs.length === 0) return;
  await mkdir(LOGS_DIR, { recursive: true });
  for (const name of logs) await copyFile(path.join(work, name), path.join(LOGS_DIR, `${label}.log`));
}

export interface SuiteContext {
  opts: BenchOptions;
  daemons: BenchDaemons;
  /** The suite's private temp dir on a tmpfs if there is one (run folders live below it). */
  baseDir: string;
  /** The suite's private temp dir on the disk (for scenarios whose source must be on the disk). */
  diskDir: string;
  log(message: string): void;
}

export interface Outcome {
  converged: boolean;
  metrics: Metrics;
  notes: string[];
}

export interface Scenario {
  workload: WorkloadId;
  targets: BenchTarget[];
  /** The source folder on the disk instead of the tmpfs (big files: writes that stall like real ones). */
  sourceOnDisk?: boolean;
  /** Writes into `src` while the tool watches and waits for the targets (timeout: opts.timeoutMs). */
  act(src: string): Promise<Outcome>;
  /** Writes the same into `src`, then times the floor. */
  floor(src: string): Promise<Outcome>;
  /** Extra figures from the daemon's transfer log (e.g. how often each big file was sent). */
  transfers?(t: Transfers, outcome: Outcome): void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A fresh run folder below the suite dir: `src` (the watched folder) and `work` (tool config, state, log). */
export async function newRunDir(
  ctx: SuiteContext,
  label: string,
  onDisk = false,
): Promise<{ dir: string; src: string; work: string }> {
  const dir = path.join(onDisk ? ctx.diskDir : ctx.baseDir, label);
  await rm(dir, { recursive: true, force: true });
  const src = path.join(dir, 'src');
  const work = path.join(dir, 'work');
  await mkdir(src, { recursive: true });
  await mkdir(work, { recursive: true });
  return { dir, src, work };
}

/** Starts a watching tool and waits until it is ready; stops it again if it never gets there. */
export async function startReady(
  ctx: SuiteContext,
  tool: Exclude<ToolId, 'floor'>,
  source: string,
  targets: readonly BenchTarget[],
  work: string,
  timeoutMs: number,
  onWatching?: (running: RunningTool) => void,
): Promise<{ running: RunningTool; ready: Ready }> {
  const running = await WATCH_TOOLS[tool].start({
    source,
    targets,
    passwordFile: ctx.daemons.passwordFile,
    password: ctx.daemons.password,
    workDir: work,
  });
  try {
    const ready = await running.ready(timeoutMs, onWatching && (() => onWatching(running)));
    return { running, ready };
  } catch (error) {
    await running.stop();
    throw error;
  }
}

/**
 * For a run that did not converge: what the tool's own log says about it. Rsync Live's delete guard message if
 * it tripped, otherwise the last error line (Rsync Live `error: …`, lsyncd `Error: …`, rsync `rsync error: …`).
 */
export function whyInLog(log: string): string[] {
  const lines = log.split('\n');
  const guard = lines.find((l) => l.includes('deletions paused'));
  if (guard) return [`the tool's log: ${guard.trim()}`];
  const errors = lines.filter((l) => /(^error: |\bError: |^rsync error: )/.test(l));
  const last = errors[errors.length - 1];
  return last ? [`last error in the tool's log: ${last.trim()}`] : [];
}

export async function runScenario(
  ctx: SuiteContext,
  tool: ToolId,
  run: number,
  scenario: Scenario,
): Promise<RunResult> {
  const { dir, src, work } = await newRunDir(
    ctx,
    `${scenario.workload}-${tool}-${run}`,
    scenario.sourceOnDisk,
  );
  await Promise.all(scenario.targets.map((t) => emptyDir(t.path)));
  const daemon = (scenario.targets[0] as BenchTarget).daemon;
  const mark = logMark(daemon);
  let outcome: Outcome;
  const metrics: Metrics = {};
  const notes: string[] = [];
  if (tool === 'floor') {
    outcome = await scenario
      .floor(src)
      .catch((error: unknown): Outcome => ({ converged: false, metrics: {}, notes: [errorText(error)] }));
  } else {
    let running: RunningTool | undefined;
    try {
      ({ running } = await startReady(ctx, tool, src, scenario.targets, work, READY_TIMEOUT_MS));
      const pid = running.proc.pid;
      const cpu0 = treeCpuSeconds(pid);
      outcome = await scenario.act(src);
      if (outcome.converged) await sleep(ctx.opts.settleMs);
      metrics['cpuSec'] = treeCpuSeconds(pid) - cpu0;
      const mem = treeMemory(pid, running.mainComm);
      metrics['rssMB'] = mem.peakMB;
      metrics['treeRssMB'] = mem.treeRssMB;
      if (running.proc.exit) {
        const how = running.proc.exit.signal ?? `code ${running.proc.exit.code}`;
        notes.push(`the tool exited (${how}) during the run`);
      }
    } catch (error) {
      outcome = { converged: false, metrics: {}, notes: [errorText(error)] };
    } finally {
      await running?.stop();
    }
    if (!outcome.converged && running) notes.push(...whyInLog(running.proc.readLog()));
  }
  const transfers = await transfersSince(
    daemon,
    mark,
    scenario.targets.map((t) => t.module),
  );
  metrics['sentBytes'] = transfers.dataBytes;
  metrics['connections'] = transfers.sessions;
  scenario.transfers?.(transfers, outcome);
  await keepLogs(work, `${scenario.workload}-${tool}-${run}`);
  await rm(dir, { recursive: true, force: true });
  return {
    run,
    converged: outcome.converged,
    metrics: { ...metrics, ...outcome.metrics },
    notes: [...outcome.notes, ...notes],
  };
}
