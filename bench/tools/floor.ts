// Benchmark suite: the floor, the lower bound a watcher is compared with: one `rsync -a --sockopts=TCP_NODELAY`
// of the finished tree into an empty module (one per target, all at once), timed from spawn to exit. Its CPU is
// the rsync clients' own (this process's reaped-children time around the run).
import { spawn } from 'node:child_process';
import { reapedChildrenCpuSeconds } from '../measure.js';
import type { BenchTarget } from '../daemons.js';

export const FLOOR_ARGS = ['-a', '--sockopts=TCP_NODELAY'] as const;

export function describeFloor(): string {
  return (
    'rsync -a --sockopts=TCP_NODELAY --password-file=FILE SOURCE/ rsync://backup@127.0.0.1:PORT/t1 ' +
    '(one per target, started together; start-up workload: with --delete onto the pre-filled module)'
  );
}

function runRsync(args: readonly string[]): Promise<{ ms: number; code: number | null; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4000) stderr += b.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ ms: performance.now() - t0, code, stderr }));
  });
}

export interface FloorResult {
  /** Spawn to exit, per target. */
  perTargetMs: number[];
  cpuSec: number;
  /** rsync's complaints, if any exited non-zero. */
  errors: string[];
}

/** One rsync per target, all started at once; `extra` adds options (e.g. --delete). */
export async function floorSync(
  source: string,
  targets: readonly BenchTarget[],
  passwordFile: string,
  extra: readonly string[] = [],
): Promise<FloorResult> {
  const cpu0 = reapedChildrenCpuSeconds();
  const results = await Promise.all(
    targets.map((t) =>
      runRsync([
        ...FLOOR_ARGS,
        ...extra,
        `--password-file=${passwordFile}`,
        `${source.replace(/\/+$/, '')}/`,
        `${t.url}/`,
      ]),
    ),
  );
  return {
    perTargetMs: results.map((r) => r.ms),
    cpuSec: reapedChildrenCpuSeconds() - cpu0,
    errors: results.filter((r) => r.code !== 0).map((r) => `rsync exit ${r.code}: ${r.stderr.trim()}`),
  };
}

/** One rsync of a single file (relative path `rel` under `source`) into the module root; resolves at exit. */
export async function floorSendFile(
  source: string,
  rel: string,
  target: BenchTarget,
  passwordFile: string,
): Promise<number> {
  const r = await runRsync([
    ...FLOOR_ARGS,
    `--password-file=${passwordFile}`,
    `${source.replace(/\/+$/, '')}/${rel}`,
    `${target.url}/`,
  ]);
  if (r.code !== 0) throw new Error(`floor rsync exit ${r.code}: ${r.stderr.trim()}`);
  return r.ms;
}
