// Benchmark suite: renders the results as docs/benchmarks.md (results table, ratios, targets, findings, chart,
// method) and writes the results JSON. Rendering is pure (results in, text out); `writeReport` does the I/O.
import { costSection } from './cost.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { formatBytes, formatMs, formatRatio, formatSeconds } from './stats.js';
import {
  TOOL_IDS,
  TOOL_LABELS,
  WORKLOAD_IDS,
  type BenchResults,
  type Cell,
  type ToolId,
  type WorkloadId,
} from './types.js';

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A GitHub markdown table; cells are escaped (pipes, newlines). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export const WORKLOAD_TITLES: Readonly<Record<WorkloadId, string>> = {
  burst: '(a) burst',
  three: '(e) burst into three targets',
  latency: '(b) latency, server with TCP_NODELAY',
  'latency-no-nodelay': '(b) latency, server without TCP_NODELAY',
  big: '(c) big files',
  churn: '(d) churn, odd names',
  'churn-plain': '(d) churn, plain names',
  moves: '(g) moves inside the folder',
  'slow-writer': '(h) slow writer',
  idle: '(f) idle after start-up',
  startup: '(f) start-up, large tree',
  'cost-tree-1': '(i) cost: start-up, small tree',
  'cost-tree-2': '(i) cost: start-up, medium tree',
  'cost-tree-3': '(i) cost: start-up, large tree',
  'cost-burst-1': '(i) cost: small burst',
  'cost-burst-2': '(i) cost: medium burst',
  'cost-burst-3': '(i) cost: large burst',
};

interface Row {
  workload: WorkloadId;
  figure: string;
  /** The value of one cell, or null for "—". */
  value(cell: Cell): string | null;
  /** A convergence figure: a cell with no converged run shows "did not converge". */
  converge?: boolean;
}

const m = (cell: Cell, key: string): number | undefined =>
  cell.convergedRuns > 0 ? cell.medians[key] : undefined;
const fmt =
  (key: string, show: (x: number) => string) =>
  (cell: Cell): string | null => {
    const v = m(cell, key);
    return v === undefined ? null : show(v);
  };
const range = (cell: Cell, key: string, show: (x: number) => string): string => {
  const xs = cell.runs.filter((r) => r.converged).map((r) => r.metrics[key] ?? NaN);
  if (xs.length < 2) return '';
  return ` (${show(Math.min(...xs))}–${show(Math.max(...xs))})`;
};
const converge =
  (key = 'convergeMs') =>
  (cell: Cell) => {
    const v = m(cell, key);
    return v === undefined ? null : `${formatSeconds(v)}${range(cell, key, formatSeconds)}`;
  };
const cpu = fmt('cpuSec', (x) => x.toFixed(2));
const rss = fmt('rssMB', (x) => x.toFixed(0));
const sent = (cell: Cell): string | null => {
  const b = m(cell, 'sentBytes');
  const n = m(cell, 'connections');
  return b === undefined || n === undefined ? null : `${formatBytes(b)} in ${Math.round(n)} run(s)`;
};

function rowsFor(sizes: BenchResults['sizes']): Row[] {
  const lat = (cell: Cell): string | null => {
    const p50 = m(cell, 'p50Ms');
    const p90 = m(cell, 'p90Ms');
    const max = m(cell, 'maxMs');
    return p50 === undefined || p90 === undefined || max === undefined
      ? null
      : `${formatMs(p50)} / ${formatMs(p90)} / ${formatMs(max)}`;
  };
  const rows: Row[] = [];
  const common = (w: WorkloadId): Row[] => [
    { workload: w, figure: 'CPU-s (tool + its rsync children)', value: cpu },
    { workload: w, figure: 'peak RSS (MB)', value: rss },
    { workload: w, figure: 'file data sent, rsync runs', value: sent },
  ];
  rows.push(
    { workload: 'burst', figure: 'converged after the last write', value: converge(), converge: true },
    ...common('burst'),
    {
      workload: 'three',
      figure: 'slowest target after the last write',
      value: converge(),
      converge: true,
    },
    {
      workload: 'three',
      figure: 'each target (t1 / t2 / t3)',
      value: (cell) => {
        const xs = [1, 2, 3].map((i) => m(cell, `target${i}Ms`));
        return xs.some((x) => x === undefined) ? null : xs.map((x) => formatSeconds(x as number)).join(' / ');
      },
    },
    ...common('three'),
    { workload: 'latency', figure: 'p50 / p90 / max', value: lat, converge: true },
    { workload: 'latency', figure: 'CPU-s', value: cpu },
    { workload: 'latency-no-nodelay', figure: 'p50 / p90 / max', value: lat, converge: true },
    { workload: 'big', figure: 'converged after the last write', value: converge(), converge: true },
    {
      workload: 'big',
      figure: `files sent exactly once (of ${sizes.bigFiles})`,
      value: (cell) => {
        const v =
          cell.runs.length > 0 ? Math.min(...cell.runs.map((r) => r.metrics['filesSentOnce'] ?? 0)) : null;
        const most = Math.max(0, ...cell.runs.map((r) => r.metrics['maxSends'] ?? 0));
        return v === null ? null : `${v} (worst run; most sends of one file: ${most})`;
      },
    },
    { workload: 'big', figure: 'file data sent / written', value: fmt('sendRatio', (x) => formatRatio(x)) },
    ...common('big'),
    { workload: 'churn', figure: 'converged after the last operation', value: converge(), converge: true },
    { workload: 'churn', figure: 'CPU-s', value: cpu },
    {
      workload: 'churn-plain',
      figure: 'converged after the last operation',
      value: converge(),
      converge: true,
    },
    { workload: 'churn-plain', figure: 'CPU-s', value: cpu },
    { workload: 'moves', figure: 'converged after the last move', value: converge(), converge: true },
    {
      workload: 'moves',
      figure: `file data sent per byte moved (${sizes.movesMiB} MiB moved)`,
      value: fmt('moveSendRatio', (x) => formatRatio(x)),
    },
    { workload: 'moves', figure: 'CPU-s', value: cpu },
    { workload: 'slow-writer', figure: 'converged after the close', value: converge(), converge: true },
    {
      workload: 'slow-writer',
      figure: `sends of the file (${sizes.slowWriterMiB} MiB in ${sizes.slowWriterChunks} chunks, ${sizes.slowWriterPauseMs} ms apart)`,
      value: (cell) => {
        const xs = cell.runs.map((r) => r.metrics['sends'] ?? 0);
        return xs.length === 0 ? null : `${Math.max(...xs)} (worst run)`;
      },
    },
    {
      workload: 'slow-writer',
      figure: 'partial states seen on the target',
      value: (cell) => {
        const xs = cell.runs.map((r) => r.metrics['partialStates'] ?? 0);
        return xs.length === 0 ? null : `${Math.max(...xs)} (worst run)`;
      },
    },
    {
      workload: 'idle',
      figure: 'peak RSS / RSS after start-up (MB)',
      value: (c) => {
        const a = m(c, 'rssMB');
        const b = m(c, 'idleRssMB');
        return a === undefined || b === undefined ? null : `${a.toFixed(0)} / ${b.toFixed(0)}`;
      },
    },
    {
      workload: 'idle',
      figure: `CPU-s over ${sizes.idleWindowMs / 1000} s idle`,
      value: fmt('idleCpuSec', (x) => x.toFixed(2)),
    },
    {
      workload: 'startup',
      figure: 'watching (from process start)',
      value: converge('watchingMs'),
      converge: true,
    },
    { workload: 'startup', figure: 'start-up sync done', value: converge('syncedMs') },
    {
      workload: 'startup',
      figure: 'RSS when watching / peak (MB)',
      value: (c) => {
        const a = m(c, 'readyRssMB');
        const b = m(c, 'rssMB');
        return b === undefined ? null : `${a === undefined ? '—' : a.toFixed(0)} / ${b.toFixed(0)}`;
      },
    },
    { workload: 'startup', figure: 'CPU-s until start-up done', value: cpu },
  );
  return rows;
}

function cellOf(results: BenchResults, workload: WorkloadId, tool: ToolId): Cell | undefined {
  return results.cells.find((c) => c.workload === workload && c.tool === tool);
}

function shown(cell: Cell | undefined, row: Row): string {
  if (!cell || cell.runs.length === 0) return '';
  const v = row.value(cell);
  if (row.converge && cell.convergedRuns === 0) return '**did not converge**';
  if (v === null) return '—';
  const partial =
    row.converge && cell.convergedRuns < cell.runs.length
      ? ` (${cell.convergedRuns}/${cell.runs.length} runs converged)`
      : '';
  return `${v}${partial}`;
}

export function resultsTable(results: BenchResults): string {
  const tools = TOOL_IDS.filter((t) => results.cells.some((c) => c.tool === t && c.runs.length > 0));
  const rows: string[][] = [];
  for (const row of rowsFor(results.sizes)) {
    if (!tools.some((t) => cellOf(results, row.workload, t)?.runs.length)) continue;
    const cells = tools.map((t) => shown(cellOf(results, row.workload, t), row));
    if (cells.every((c) => c === '' || c === '—')) continue;
    rows.push([WORKLOAD_TITLES[row.workload], row.figure, ...cells]);
  }
  // Show each workload's title once.
  for (let i = rows.length - 1; i > 0; i--)
    if (rows[i]?.[0] === rows[i - 1]?.[0]) (rows[i] as string[])[0] = '';
  return markdownTable(['workload', 'figure', ...tools.map((t) => TOOL_LABELS[t])], rows);
}

/** How many times longer each peer took than Rsync Live, and Rsync Live against the floor. */
export function ratiosTable(results: BenchResults): string {
  const peers: ToolId[] = ['lsyncd-0.1s', 'lsyncd-15s', 'inotifywait', 'rsync-live-chokidar'];
  const key = (w: WorkloadId): string =>
    w === 'latency' || w === 'latency-no-nodelay' ? 'p50Ms' : w === 'startup' ? 'watchingMs' : 'convergeMs';
  const rows: string[][] = [];
  const usedPeers = peers.filter((p) => results.cells.some((c) => c.tool === p));
  for (const w of WORKLOAD_IDS) {
    if (w === 'idle' || w.startsWith('cost-')) continue;
    const ours = cellOf(results, w, 'rsync-live');
    const mine = ours && ours.convergedRuns > 0 ? ours.medians[key(w)] : undefined;
    if (!ours) continue;
    const cells = usedPeers.map((p) => {
      const c = cellOf(results, w, p);
      if (!c || c.runs.length === 0) return '';
      if (c.convergedRuns === 0)
        return mine === undefined
          ? 'neither converged'
          : `> ${formatRatio((results.timeoutSec * 1000) / mine)} (peer did not converge)`;
      const theirs = c.medians[key(w)];
      return mine === undefined || theirs === undefined ? '—' : formatRatio(theirs / mine);
    });
    const fl = cellOf(results, w, 'floor');
    const floorValue =
      fl && fl.convergedRuns > 0 ? fl.medians[w === 'startup' ? 'syncedMs' : key(w)] : undefined;
    const oursForFloor = w === 'startup' ? ours.medians['syncedMs'] : mine;
    cells.push(
      oursForFloor === undefined || floorValue === undefined ? '' : formatRatio(oursForFloor / floorValue),
    );
    rows.push([WORKLOAD_TITLES[w], ...cells]);
  }
  return markdownTable(
    ['workload', ...usedPeers.map((p) => `${TOOL_LABELS[p]} ÷ Rsync Live`), 'Rsync Live ÷ floor'],
    rows,
  );
}

export function targetsTable(results: BenchResults): string {
  const mark = { holds: '✅ holds', misses: '❌ misses', 'n/a': '— n/a' } as const;
  return markdownTable(
    ['target', 'measured (median)', 'verdict', 'detail'],
    results.targets.map((t) => [t.target, t.value, mark[t.verdict], t.detail]),
  );
}

/** `text` cut to `max` characters by dropping its middle (an ellipsis marks the cut): both ends stay. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor((max - 1) * 0.4);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** A markdown code span that holds any text, backticks included. */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

function fence(text: string, lang = ''): string {
  return `\`\`\`${lang}\n${text.trimEnd()}\n\`\`\``;
}

export function renderMarkdown(results: BenchResults, chartFile: string | null): string {
  const s = results.sizes;
  const mach = results.machine;
  const minutes = (results.durationSec / 60).toFixed(0);
  const toolsRun = TOOL_IDS.filter((t) => results.cells.some((c) => c.tool === t));
  const notes: string[] = [];
  for (const cell of results.cells) {
    for (const run of cell.runs) {
      for (const note of run.notes) {
        const [head = '', ...examples] = note.split('\n');
        notes.push(`- ${TOOL_LABELS[cell.tool]}, ${WORKLOAD_TITLES[cell.workload]}, run ${run.run}: ${head}`);
        for (const line of examples) notes.push(`  - ${codeSpan(shorten(line.trim(), 160))}`);
      }
    }
    if (cell.skipped)
      notes.push(`- ${TOOL_LABELS[cell.tool]}, ${WORKLOAD_TITLES[cell.workload]}: ${cell.skipped}`);
  }
  const out: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.ts) on ${results.startedAt.slice(0, 10)}, ${results.runs} run(s) per tool and workload, ` +
      `medians shown (min–max of the runs in brackets); the whole suite took ${minutes} min. ` +
      `Raw results: [benchmarks.json](benchmarks.json).`,
    '',
  ];
  if (results.quick) {
    out.push(
      '> **Quick run** (`--quick`): small sizes, for development only; the targets below refer to the full sizes.',
      '',
    );
  }
  out.push(
    `Machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memGiB} GiB RAM, ${mach.os}, Linux ${mach.kernel}; ` +
      `Node ${mach.node}, ${mach.rsync}, lsyncd ${mach.lsyncd}, inotifywait ${mach.inotifywait}. ` +
      `Rsync Live: ${mach.engine}. ` +
      'Every tool writes to the same loopback rsync daemons, one after the other, on the same workloads. ' +
      `The machine is shared: its 1-minute load average during the suite was ${results.loadAverage.min.toFixed(1)}–` +
      `${results.loadAverage.max.toFixed(1)} (median ${results.loadAverage.median.toFixed(1)}; the suite alone adds up to ~1–2).`,
    '',
    '## Results',
    '',
    resultsTable(results),
    '',
    'Times are from the last write (or last operation) until the target held everything, except start-up (from process start). ' +
      '"did not converge": not within the timeout of ' +
      `${results.timeoutSec} s; see Findings.`,
    '',
    '### Ratios (convergence time; latency: p50; start-up: time until watching, floor column: start-up sync)',
    '',
    ratiosTable(results),
    '',
  );
  if (chartFile) out.push(`![Convergence times per workload and tool, log scale](${chartFile})`, '');
  const cost = costSection(results);
  if (cost) out.push(cost);
  out.push('## Targets', '', targetsTable(results), '');
  out.push('## Findings', '');
  out.push(...(results.findings.length > 0 ? results.findings.map((f) => `- ${f}`) : ['- none']));
  if (notes.length > 0) out.push('', 'Notes recorded by the runs:', '', ...notes);
  out.push(
    '',
    '## Method',
    '',
    `Rerun: \`npm run bench\` (it builds first, then runs \`tsx bench/run.ts\`; this run took ${minutes} min; it needs root only to ` +
      'raise `fs.inotify.max_user_watches` for the large tree). Options: `--quick` (small sizes), `--runs N`, ' +
      '`--only a,b,…` (workload letters or ids), `--tools …`, `--timeout SEC`, `--settle SEC`, `--keep-trees`, ' +
      '`--source-base DIR`, and `--render FILE` (rewrite the report and chart from a results file, no runs). ' +
      'A full default run rewrites docs/benchmarks.md, .png and .json; other runs write to bench/results/. ' +
      'It is not part of `npm test`: timings on a shared two-core machine are noisy.',
    '',
    '**Daemons.** The suite starts two `rsync --daemon` on 127.0.0.1 (test/helpers/rsync-daemon.ts), running as root with ' +
      '`use chroot = yes`, `reverse lookup = no`, one user and secrets file: one with `socket options = TCP_NODELAY` ' +
      '(modules t1, t2, t3 and the pre-filled start-up trees), one without it (module t1, latency only). Every module has ' +
      '`transfer logging = yes` and `log format = XFER|%m|%o|%b|%l|%n`. Each run gets a fresh empty source folder and emptied ' +
      'target modules; tools are started fresh for each run and their whole process group is stopped after it; daemons stay up.',
    '',
    '**Workloads.**' +
      (results.sourceBase === '/dev/shm'
        ? ' The watched source folders of (a)–(e) are on a tmpfs (/dev/shm), so that the bench writes the burst as a burst: on ' +
          'the shared disk 20,000 small files take 1–15 s to write depending on what else runs, and every tool keeps up with ' +
          'such a trickle. The big files of (c), the targets (daemon modules) and the start-up trees of (f) are on the disk: ' +
          'writing 1 GiB there stalls now and then, as real writes do.'
        : ` The watched source folders are under ${results.sourceBase}; the targets are in the system temp dir.`),
    '',
    `- (a) burst: ${s.burstFiles.toLocaleString('en')} files of ${s.burstFileBytes} bytes in ${s.burstDirs} new directories, written with synchronous fs calls ` +
      'from the bench process (each directory created just before its files). Converged = every file present on the target with its size ' +
      '(rsync writes a temporary name and renames it, so a final name with the right size is complete).',
    `- (b) latency: ${s.latencySamples} files of ${s.latencyFileBytes} bytes written ${s.latencyGapMs} ms apart; per file, the time from its close until ` +
      '`fs.watch` on the module directory reports its final name. p50/p90 are nearest-rank percentiles of all files of a run; medians over runs. ' +
      'Against the daemon with TCP_NODELAY and, for the fast tools, the one without. Floor: one `rsync -a` of that file started at its close.',
    `- (c) big files: ${s.bigFiles} files of ${s.bigFileMiB} MiB (random data) written one after another in 1 MiB writes, on the disk. Converged = all at full size. ` +
      'How many times each file was sent comes from the transfer log (`%b` per file): once, and complete, means once after its last write.',
    `- (d) churn: ${s.churnOps.toLocaleString('en')} operations of test/helpers/churn.ts, seed ${s.churnSeed}, with no writes through one name of a ` +
      'hard-linked file (left out as in every run before; the engine sends them since hard-links.ts), default weights and pauses: files, directories, renames (also across and over), ' +
      'swaps, rm -rf, mkdir -p with immediate writes, symlinks, hard links, chmod, and names with odd bytes (`#`, `;`, `[`, `]`, `*`, newline, ' +
      "invalid UTF-8, 255-byte names). Converged = the target's manifest (test/helpers/manifest.ts: names as bytes, type, size, mode, " +
      "symlink target, SHA-256) equals the source's. The plain-names variant uses the same generator with `plainNames: true`. " +
      "The churn deletes a lot (rm -rf of whole subtrees, directories renamed away), which trips Rsync Live's delete guard " +
      '(on by default: it holds deletions when those of the last minute exceed half the folder), so the churn also runs ' +
      'Rsync Live with `deleteGuard.enabled: false` and otherwise default settings.',
    "- (e) three targets: the burst of (a) into t1, t2 and t3 at once; each target's time, compared with the same tool's single-target burst. " +
      'Floor: three rsyncs started together.',
    `- (f) start-up: a tree of ${s.largeDirs.toLocaleString('en')} directories and ${s.largeFiles.toLocaleString('en')} small files, built once and copied ` +
      '(`cp -a`) to the target module, so the start-up sync has nothing to send. Times from process start: "watching" = Rsync Live\'s ' +
      "`watching … (N directories, …)` line, lsyncd's `recursive startup rsync` line (lsyncd adds its watches before it starts that rsync), " +
      "inotifywait's `Watches established.`; \"start-up sync done\" = Rsync Live's first `full sync: … ok` line, lsyncd's `Startup of … finished`. " +
      'RSS when watching is read at the watching signal, peak RSS one second after start-up is done. The floor is one `rsync -a --delete` over the identical trees. ' +
      `Idle: a tree of ${s.idleDirs.toLocaleString('en')} directories / ${s.idleFiles.toLocaleString('en')} files, same procedure; after start-up and 2 s more, ` +
      `CPU over ${s.idleWindowMs / 1000} s with nothing changing.`,
    '',
    '**Figures.**',
    '',
    '- Convergence is polled on the module directory; the poll interval is 2 % of the time waited so far (10–200 ms), ' +
      'so the figure is within ~2 % (and at least ~10 ms) of the truth and a slow tool is not slowed further by the poller.',
    `- Timeout: ${results.timeoutSec} s after the last write per run; a run that misses it is "did not converge", and the remaining runs of that ` +
      'tool on that workload are skipped (the workload is the same every run).',
    `- CPU: utime + stime + cutime + cstime from /proc/PID/stat, summed over the tool's process tree (the tool and its live descendants; ` +
      "children that finished are counted through their parent's cutime/cstime), read after the tool is ready and again after convergence plus a " +
      `fixed settle window of ${results.settleSec} s (the same for every tool; it catches Rsync Live's verification full sync after a burst). ` +
      "The daemon side (the server's rsync) is not counted. Floor: the rsync client's own CPU.",
    "- Peak RSS: VmHWM (the kernel's peak resident set) of the tool's main process, read at the end of the run: node for Rsync Live, " +
      'lsyncd, and inotifywait for the script (its bash processes use ~3 MB each); rsync children are not included. MB = 10^6 bytes.',
    "- File data sent: the sum of `%b` (bytes actually transferred: literal data plus delta tokens) over the `recv` lines of the daemons' " +
      "transfer log for the run's modules; rsync runs: the connections the daemons logged (`rsync to MODULE/ from …`). File lists and " +
      'protocol overhead are not included (the daemon\'s closing "sent/received" line, which would hold them, is missing for runs that end ' +
      'with a warning, e.g. a file that vanished).',
    '',
    '**Tools, exactly as run.** Rsync Live runs from a copy of `bin/` and `dist/` taken right after the build ' +
      '(node_modules/.cache/rsync-live-bench/engine/), so that a rebuild in the shared working tree cannot change the engine during the suite.',
    '',
  );
  for (const t of toolsRun) {
    const text = results.toolConfigs[t];
    if (text) out.push(`*${TOOL_LABELS[t]}*:`, '', fence(text), '');
  }
  out.push(
    "lsyncd uses `archive = true` (as in its manual's examples) so that permissions, owners and times are kept like the other tools keep them; " +
      "its defaults (`links`, `times`, `protect_args` only) would never converge on the churn's chmod operations. Nothing else differs from " +
      'its defaults (`maxProcesses = 1`, `delete = true`, inotify mode CloseWrite). The inotifywait script is the "drain" variant: the ' +
      'one-rsync-per-event loop never finishes the 20,000-file burst.',
    '',
  );
  return `${out.join('\n')}\n`;
}

/** Everything after this line in benchmarks.md is written by hand and kept when the report is rendered again. */
export const HAND_WRITTEN_MARKER =
  '<!-- Sections below are written by hand (not by npm run bench) and kept when the report is rendered again. -->';

/** The rendered report, followed by the hand-written sections of the previous one (from the marker on). */
export function keepHandWritten(previous: string | null, rendered: string): string {
  const at = previous?.indexOf(HAND_WRITTEN_MARKER) ?? -1;
  if (previous === null || at < 0) return rendered;
  return `${rendered.trimEnd()}\n\n${previous.slice(at)}`;
}

/** Writes benchmarks.md, benchmarks.json (formatted like the repository's prettier would) and returns paths. */
export async function writeReport(
  results: BenchResults,
  outDir: string,
  chartFile: string | null,
): Promise<{ md: string; json: string }> {
  await mkdir(outDir, { recursive: true });
  const md = path.join(outDir, 'benchmarks.md');
  const json = path.join(outDir, 'benchmarks.json');
  const previous = await readFile(md, 'utf8').catch(() => null);
  await writeFile(md, keepHandWritten(previous, renderMarkdown(results, chartFile)));
  const config = (await resolveConfig(json)) ?? {};
  await writeFile(json, await format(JSON.stringify(results), { ...config, filepath: json }));
  return { md, json };
}
