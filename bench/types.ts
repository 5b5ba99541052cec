// Benchmark suite: the shared vocabulary (tool and workload ids, per-run results, cells, targets, the results
// file). Types and constants only: no I/O, so pure modules and unit tests can import it.

export const TOOL_IDS = [
  'rsync-live',
  'rsync-live-noguard',
  'rsync-live-chokidar',
  'lsyncd-0.1s',
  'lsyncd-15s',
  'inotifywait',
  'floor',
] as const;
export type ToolId = (typeof TOOL_IDS)[number];

export const TOOL_LABELS: Readonly<Record<ToolId, string>> = {
  'rsync-live': 'Rsync Live',
  'rsync-live-noguard': 'Rsync Live, delete guard off',
  'rsync-live-chokidar': 'Rsync Live (chokidar)',
  'lsyncd-0.1s': 'lsyncd, delay 0.1 s',
  'lsyncd-15s': 'lsyncd, default delay 15 s',
  inotifywait: 'inotifywait script',
  floor: 'floor (one rsync -a)',
};

/** In run order. */
export const WORKLOAD_IDS = [
  'burst',
  'three',
  'latency',
  'latency-no-nodelay',
  'big',
  'churn',
  'churn-plain',
  'moves',
  'slow-writer',
  'idle',
  'startup',
  'cost-tree-1',
  'cost-tree-2',
  'cost-tree-3',
  'cost-burst-1',
  'cost-burst-2',
  'cost-burst-3',
] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** The letters, each naming one or more workloads (`--only a,c`). */
export const WORKLOAD_LETTERS: Readonly<Record<string, readonly WorkloadId[]>> = {
  a: ['burst'],
  b: ['latency', 'latency-no-nodelay'],
  c: ['big'],
  d: ['churn', 'churn-plain'],
  e: ['three'],
  f: ['startup', 'idle'],
  g: ['moves'],
  h: ['slow-writer'],
  i: ['cost-tree-1', 'cost-tree-2', 'cost-tree-3', 'cost-burst-1', 'cost-burst-2', 'cost-burst-3'],
};

/** Which tools each workload runs, in column order. */
export const WORKLOAD_TOOLS: Readonly<Record<WorkloadId, readonly ToolId[]>> = {
  burst: ['rsync-live', 'lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'floor'],
  three: ['rsync-live', 'lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'floor'],
  latency: ['rsync-live', 'lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'floor'],
  'latency-no-nodelay': ['rsync-live', 'lsyncd-0.1s', 'inotifywait', 'floor'],
  big: ['rsync-live', 'lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'floor'],
  churn: ['rsync-live', 'rsync-live-noguard', 'lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'floor'],
  'churn-plain': ['rsync-live', 'rsync-live-noguard', 'lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'floor'],
  moves: ['rsync-live', 'lsyncd-0.1s', 'inotifywait', 'floor'],
  'slow-writer': ['rsync-live', 'lsyncd-0.1s', 'inotifywait', 'floor'],
  idle: ['rsync-live', 'lsyncd-0.1s', 'inotifywait'],
  startup: ['rsync-live', 'rsync-live-chokidar', 'lsyncd-0.1s', 'inotifywait', 'floor'],
  // (i) cost against size: start-up on trees of Sizes.costTreeDirs, bursts of Sizes.costBurstFiles files.
  'cost-tree-1': ['rsync-live', 'lsyncd-0.1s', 'floor'],
  'cost-tree-2': ['rsync-live', 'lsyncd-0.1s', 'floor'],
  'cost-tree-3': ['rsync-live', 'lsyncd-0.1s', 'floor'],
  'cost-burst-1': ['rsync-live', 'lsyncd-0.1s', 'inotifywait', 'floor'],
  'cost-burst-2': ['rsync-live', 'lsyncd-0.1s', 'inotifywait', 'floor'],
  'cost-burst-3': ['rsync-live', 'lsyncd-0.1s', 'inotifywait', 'floor'],
};

/** The cost workloads, smallest size first: tree sizes (start-up) and burst sizes. */
export const COST_TREE_WORKLOADS = ['cost-tree-1', 'cost-tree-2', 'cost-tree-3'] as const;
export const COST_BURST_WORKLOADS = ['cost-burst-1', 'cost-burst-2', 'cost-burst-3'] as const;

export interface Sizes {
  burstFiles: number;
  burstDirs: number;
  burstFileBytes: number;
  latencySamples: number;
  latencyGapMs: number;
  latencyFileBytes: number;
  bigFiles: number;
  bigFileMiB: number;
  churnOps: number;
  churnSeed: number;
  largeDirs: number;
  largeFiles: number;
  idleDirs: number;
  idleFiles: number;
  idleWindowMs: number;
  /** (g) moves: MiB of files moved. */
  movesMiB: number;
  /** (h) slow writer: MiB written in `slowWriterChunks` chunks with `slowWriterPauseMs` between them. */
  slowWriterMiB: number;
  slowWriterChunks: number;
  slowWriterPauseMs: number;
  /** (i) cost: directories of the three start-up trees (3 files per directory), smallest first. */
  costTreeDirs: readonly [number, number, number];
  /** (i) cost: files of the three bursts (50 per new directory, burstFileBytes each), smallest first. */
  costBurstFiles: readonly [number, number, number];
}

/**
 * Figures of one run. Keys used: convergeMs (the headline figure), cpuSec, rssMB (VmHWM of the tool's main
 * process), sentBytes / connections (daemon log: file data sent, rsync runs), writeMs, p50Ms / p90Ms / maxMs / missing (latency),
 * target1Ms.. / slowestTargetMs (three targets), maxSends / sentOnce (big files), watchingMs / syncedMs /
 * readyRssMB (start-up), idleCpuSec / idleRssMB (idle), diffs (paths still differing at the timeout).
 */
export type Metrics = Record<string, number>;

export interface RunResult {
  /** 1-based. */
  run: number;
  /** The target(s) matched the source (or, for start-up, the tool became ready) within the timeout. */
  converged: boolean;
  metrics: Metrics;
  /** What happened that a number does not say (a timeout, the first differences, a tool that exited). */
  notes: string[];
}

export interface Cell {
  workload: WorkloadId;
  tool: ToolId;
  runs: RunResult[];
  /** Why runs were left out (e.g. an earlier run did not converge), or null. */
  skipped: string | null;
  /** Median of each metric over the converged runs. */
  medians: Metrics;
  convergedRuns: number;
}

export type Verdict = 'holds' | 'misses' | 'n/a';

export interface TargetResult {
  id: string;
  /** What the issue asks, in words. */
  target: string;
  /** The measured value, in words (e.g. "0.84 s"). */
  value: string;
  verdict: Verdict;
  /** "by 0.21 s (21 %)" for a miss, the margin for a hold, or why it could not be evaluated. */
  detail: string;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  os: string;
  node: string;
  rsync: string;
  lsyncd: string;
  inotifywait: string;
  /** What was measured: the commit (and whether electron/ had uncommitted changes). */
  engine: string;
}

export interface BenchResults {
  /** ISO time the suite started. */
  startedAt: string;
  durationSec: number;
  quick: boolean;
  runs: number;
  timeoutSec: number;
  settleSec: number;
  sizes: Sizes;
  /** Where the watched source folders were created (a tmpfs unless told otherwise). */
  sourceBase: string;
  machine: MachineInfo;
  /** Exactly what each tool ran (config files, scripts, command lines), for the method section. */
  toolConfigs: Partial<Record<ToolId, string>>;
  cells: Cell[];
  targets: TargetResult[];
  /** Things the suite did that a reader should know (e.g. a raised inotify watch limit). */
  suiteNotes?: string[];
  /** Things worth knowing that the tables do not show (peer failures, odd behaviour); suite notes first. */
  findings: string[];
  /** The 1-minute load average, sampled every 30 s during the suite (other work on the machine adds noise). */
  loadAverage: { min: number; median: number; max: number };
}
