// Benchmark suite: the chart. Builds an SVG bar chart (one group per workload, one bar per tool, seconds on a
// log scale, "did not converge" drawn as a hatched bar up to the timeout) inside a small HTML page, and
// screenshots it to PNG with playwright-core in Debian's Chromium. The SVG is pure; `writeChartPng` does the I/O.
import { writeFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { formatSeconds } from './stats.js';
import { TOOL_IDS, TOOL_LABELS, type BenchResults, type ToolId, type WorkloadId } from './types.js';

export const CHROMIUM = '/usr/bin/chromium';

const COLORS: Readonly<Record<ToolId, string>> = {
  'rsync-live': '#2563eb',
  'rsync-live-noguard': '#1e3a8a',
  'rsync-live-chokidar': '#93c5fd',
  'lsyncd-0.1s': '#f59e0b',
  'lsyncd-15s': '#b45309',
  inotifywait: '#10b981',
  floor: '#6b7280',
};

interface Group {
  label: string;
  workload: WorkloadId;
  key: string;
}

const GROUPS: readonly Group[] = [
  { label: '(a) burst', workload: 'burst', key: 'convergeMs' },
  { label: '(e) three targets, slowest', workload: 'three', key: 'convergeMs' },
  { label: '(b) latency p50', workload: 'latency', key: 'p50Ms' },
  { label: '(b) p50, no TCP_NODELAY', workload: 'latency-no-nodelay', key: 'p50Ms' },
  { label: '(c) big files', workload: 'big', key: 'convergeMs' },
  { label: '(d) churn, odd names', workload: 'churn', key: 'convergeMs' },
  { label: '(d) churn, plain names', workload: 'churn-plain', key: 'convergeMs' },
  { label: '(f) large tree: watching', workload: 'startup', key: 'watchingMs' },
];

export interface Bar {
  tool: ToolId;
  /** Milliseconds, or null when no run converged. */
  ms: number | null;
}

export function chartData(results: BenchResults): { group: Group; bars: Bar[] }[] {
  const out: { group: Group; bars: Bar[] }[] = [];
  for (const group of GROUPS) {
    const bars: Bar[] = [];
    for (const tool of TOOL_IDS) {
      const cell = results.cells.find((c) => c.workload === group.workload && c.tool === tool);
      if (!cell || cell.runs.length === 0) continue;
      const key = tool === 'floor' && group.workload === 'startup' ? 'syncedMs' : group.key;
      bars.push({ tool, ms: cell.convergedRuns > 0 ? (cell.medians[key] ?? null) : null });
    }
    if (bars.length > 0) out.push({ group, bars });
  }
  return out;
}

const x = (n: number): string => n.toFixed(1);

/** A decade on the axis: 1 ms, 10 ms, 100 ms, 1 s, 10 s, 100 s … */
export function axisLabel(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}
const escXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChartSvg(results: BenchResults, width = 1400, height = 680): string {
  const data = chartData(results);
  const tools = TOOL_IDS.filter((t) => data.some((d) => d.bars.some((b) => b.tool === t)));
  const timeoutMs = results.timeoutSec * 1000;
  const values = data.flatMap((d) => d.bars.map((b) => b.ms ?? timeoutMs)).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1000))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 1000))));
  const m = { left: 80, right: 20, top: 90, bottom: 70 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const y = (ms: number): number =>
    m.top +
    plotH -
    ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="8" height="8" fill="#fee2e2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#dc2626" stroke-width="3"/></pattern></defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="30" font-size="20" font-weight="bold">Rsync Live and its peers: time until the target holds everything (median, log scale)</text>`,
    `<text x="${m.left}" y="52" font-size="13" fill="#374151">${escXml(
      `${results.quick ? 'QUICK RUN (small sizes) · ' : ''}${results.runs} run(s) each · lower is better · hatched: did not converge within ${results.timeoutSec} s · ${results.startedAt.slice(0, 10)}`,
    )}</text>`,
  ];
  // Legend.
  let lx = m.left;
  for (const t of tools) {
    parts.push(`<rect x="${lx}" y="64" width="14" height="14" fill="${COLORS[t]}"/>`);
    parts.push(`<text x="${lx + 20}" y="76" font-size="13">${escXml(TOOL_LABELS[t])}</text>`);
    lx += 30 + TOOL_LABELS[t].length * 7.4;
  }
  // Grid: one line per decade.
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    const yy = y(v);
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${x(yy)}" y2="${x(yy)}" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${m.left - 8}" y="${x(yy + 4)}" font-size="12" text-anchor="end" fill="#374151">${escXml(
        axisLabel(v),
      )}</text>`,
    );
  }
  const groupW = plotW / Math.max(1, data.length);
  data.forEach((d, gi) => {
    const gx = m.left + gi * groupW;
    const barW = Math.min(34, (groupW * 0.84) / d.bars.length);
    const start = gx + (groupW - barW * d.bars.length) / 2;
    d.bars.forEach((b, bi) => {
      const bx = start + bi * barW;
      const top = y(b.ms ?? timeoutMs);
      const fill = b.ms === null ? 'url(#hatch)' : COLORS[b.tool];
      parts.push(
        `<rect x="${x(bx + 1)}" y="${x(top)}" width="${x(barW - 2)}" height="${x(m.top + plotH - top)}" fill="${fill}"${
          b.ms === null ? ` stroke="${COLORS[b.tool]}" stroke-width="2"` : ''
        }/>`,
      );
      const label =
        b.ms === null ? 'DNC' : b.ms < 1000 ? `${Math.round(b.ms)}ms` : formatSeconds(b.ms).replace(' ', '');
      // Vertical labels: narrow bars side by side stay readable.
      parts.push(
        `<text transform="translate(${x(bx + barW / 2 + 4)},${x(top - 4)}) rotate(-90)" font-size="11" fill="#111827">${escXml(label)}</text>`,
      );
    });
    parts.push(
      `<text x="${x(gx + groupW / 2)}" y="${height - m.bottom + 20}" font-size="13" text-anchor="middle">${escXml(d.group.label)}</text>`,
    );
  });
  parts.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#111827"/>`,
    '</svg>',
  );
  return parts.join('\n');
}

export function chartHtml(svg: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:#fff}</style></head><body>${svg}</body></html>`;
}

/** Screenshots the chart to `pngFile`. */
export async function writeChartPng(results: BenchResults, pngFile: string): Promise<void> {
  const width = 1400;
  const height = 680;
  const svg = renderChartSvg(results, width, height);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
    await page.setContent(chartHtml(svg));
    await writeFile(pngFile, await page.screenshot({ clip: { x: 0, y: 0, width, height }, type: 'png' }));
  } finally {
    await browser.close();
  }
}
