// Benchmark suite: parses the `npm run bench` flags and derives the workload sizes (the sizes, or small
// ones with --quick). Pure: no I/O.
import path from 'node:path';
import {
  TOOL_IDS,
  WORKLOAD_IDS,
  WORKLOAD_LETTERS,
  type Sizes,
  type ToolId,
  type WorkloadId,
} from './types.js';

export const USAGE = `usage: npm run bench -- [--quick] [--runs N] [--only a,b,...] [--tools t1,t2,...]
                    [--timeout SEC] [--settle SEC] [--out DIR] [--keep-trees] [--source-base DIR]
       npm run bench -- --render FILE [--out DIR]

  --quick        small sizes (development); results go to bench/results/quick unless --out is given
  --runs N       runs per tool and workload (default 3; 1 with --quick); medians are reported
  --only LIST    workloads by letter (a burst, b latency, c big files, d churn, e three targets,
                 f large tree + idle, g moves, h slow writer,
                 i cost against tree and burst size) or by id (${WORKLOAD_IDS.join(', ')})
  --tools LIST   ${TOOL_IDS.join(', ')}; "lsyncd" means both lsyncd variants
  --timeout SEC  per run: a tool that has not converged by then "did not converge" (default 120)
  --settle SEC   fixed window after convergence before CPU is read, the same for every tool (default 3)
  --out DIR      where benchmarks.md/.png/.json go (default docs/ for a full default run, else bench/results/)
  --keep-trees   keep the large start-up trees (in the system temp dir) for the next run
  --render FILE  no runs: rewrite benchmarks.md and .png (and the targets and findings in the JSON) from an
                 earlier results file, e.g. docs/benchmarks.json, after a change to the report (default --out:
                 the file's folder)
  --source-base DIR  where the watched source folders are created (default /dev/shm, a tmpfs, if present:
                 the burst is then written in well under a second; else the system temp dir)`;

export interface BenchOptions {
  quick: boolean;
  runs: number;
  workloads: WorkloadId[];
  tools: ToolId[];
  timeoutMs: number;
  settleMs: number;
  /** Relative to the repository root. */
  outDir: string;
  keepTrees: boolean;
  /** --render: the results file to re-render instead of running anything. */
  render: string | null;
  /** Parent of the watched source folders; null = /dev/shm if present, else the system temp dir. */
  sourceBase: string | null;
  /** True unless every workload and every tool runs at full size. */
  partial: boolean;
  sizes: Sizes;
}

export const FULL_SIZES: Readonly<Sizes> = {
  burstFiles: 20_000,
  burstDirs: 400,
  burstFileBytes: 4096,
  latencySamples: 200,
  latencyGapMs: 50,
  latencyFileBytes: 1024,
  bigFiles: 20,
  bigFileMiB: 50,
  churnOps: 3000,
  churnSeed: 20251126,
  largeDirs: 100_000,
  largeFiles: 300_000,
  idleDirs: 10_000,
  idleFiles: 30_000,
  idleWindowMs: 10_000,
  movesMiB: 76,
  slowWriterMiB: 40,
  slowWriterChunks: 8,
  slowWriterPauseMs: 400,
  costTreeDirs: [1000, 10_000, 100_000],
  costBurstFiles: [1000, 20_000, 100_000],
};

export const QUICK_SIZES: Readonly<Sizes> = {
  ...FULL_SIZES,
  burstFiles: 2000,
  burstDirs: 40,
  latencySamples: 40,
  bigFiles: 4,
  bigFileMiB: 8,
  churnOps: 400,
  largeDirs: 5000,
  largeFiles: 15_000,
  idleDirs: 2000,
  idleFiles: 6000,
  idleWindowMs: 5000,
  movesMiB: 8,
  slowWriterMiB: 8,
  costTreeDirs: [300, 1000, 3000],
  costBurstFiles: [300, 1000, 3000],
};

class UsageError extends Error {}
export { UsageError };

function list(value: string, what: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what}: empty list`);
  return items;
}

function positive(value: string, what: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${what} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return n;
}

export function parseWorkloads(value: string): WorkloadId[] {
  const chosen = new Set<WorkloadId>();
  for (const item of list(value, '--only')) {
    const byLetter = WORKLOAD_LETTERS[item.toLowerCase()];
    if (byLetter) for (const w of byLetter) chosen.add(w);
    else if ((WORKLOAD_IDS as readonly string[]).includes(item)) chosen.add(item as WorkloadId);
    else throw new UsageError(`--only: unknown workload ${item} (letters a-i or ${WORKLOAD_IDS.join(', ')})`);
  }
  return WORKLOAD_IDS.filter((w) => chosen.has(w));
}

export function parseTools(value: string): ToolId[] {
  const chosen = new Set<ToolId>();
  for (const item of list(value, '--tools')) {
    if (item === 'lsyncd') {
      chosen.add('lsyncd-0.1s');
      chosen.add('lsyncd-15s');
    } else if ((TOOL_IDS as readonly string[]).includes(item)) chosen.add(item as ToolId);
    else throw new UsageError(`--tools: unknown tool ${item} (${TOOL_IDS.join(', ')}, lsyncd)`);
  }
  return TOOL_IDS.filter((t) => chosen.has(t));
}

/** Parses argv (without node and the script); throws UsageError with a message naming the flag. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let runs: number | undefined;
  let workloads: WorkloadId[] = [...WORKLOAD_IDS];
  let tools: ToolId[] = [...TOOL_IDS];
  let timeoutSec = 120;
  let settleSec = 3;
  let outDir: string | undefined;
  let keepTrees = false;
  let sourceBase: string | null = null;
  let render: string | null = null;
  let filtered = false;
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const next = args.shift();
    if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return next;
  };
  while (args.length > 0) {
    const arg = args.shift() as string;
    if (arg === '--') continue;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--runs':
        runs = positive(value(flag, inline), '--runs', true);
        break;
      case '--only':
        workloads = parseWorkloads(value(flag, inline));
        filtered = true;
        break;
      case '--tools':
        tools = parseTools(value(flag, inline));
        filtered = true;
        break;
      case '--timeout':
        timeoutSec = positive(value(flag, inline), '--timeout', false);
        break;
      case '--settle':
        settleSec = positive(value(flag, inline), '--settle', false);
        break;
      case '--out':
        outDir = value(flag, inline);
        break;
      case '--keep-trees':
        keepTrees = true;
        break;
      case '--render':
        render = value(flag, inline);
        break;
      case '--source-base':
        sourceBase = value(flag, inline);
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  const partial = quick || filtered;
  return {
    quick,
    runs: runs ?? (quick ? 1 : 3),
    workloads,
    tools,
    timeoutMs: timeoutSec * 1000,
    settleMs: settleSec * 1000,
    outDir:
      outDir ??
      (render !== null
        ? path.dirname(render)
        : quick
          ? 'bench/results/quick'
          : partial
            ? 'bench/results'
            : 'docs'),
    keepTrees,
    sourceBase,
    render,
    partial,
    sizes: { ...(quick ? QUICK_SIZES : FULL_SIZES) },
  };
}
