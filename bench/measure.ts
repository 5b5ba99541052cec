// Benchmark suite: reads /proc for a tool's process tree (the root and every descendant): CPU seconds
// (utime + stime + cutime + cstime, so children that ran and were reaped are counted by their parent) and
// memory (VmHWM / VmRSS per process). Linux only; the bench process's own CPU is never counted for a tool.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`); 100 on every Linux this runs on. */
const CLK_TCK = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
  comm: string;
}

export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // f[0] is field 3 (state): field n is f[n - 3].
  const num = (n: number): number => Number(f[n - 3]);
  return { pid, ppid: num(4), pgrp: num(5), ticks: num(14) + num(15) + num(16) + num(17), comm };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st) out.push(st);
  }
  return out;
}

/** The root and all its descendants that are alive (or zombies) now. */
export function processTree(root: number): ProcStat[] {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const st of stats) {
    const list = children.get(st.ppid);
    if (list) list.push(st);
    else children.set(st.ppid, [st]);
  }
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat) return [];
  const out: ProcStat[] = [];
  const stack = [rootStat];
  while (stack.length > 0) {
    const st = stack.pop() as ProcStat;
    out.push(st);
    stack.push(...(children.get(st.pid) ?? []));
  }
  return out;
}

/** CPU seconds used so far by the tree (its live processes plus every child they reaped). */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, st) => sum + st.ticks, 0) / CLK_TCK;
}

/** CPU seconds of this process's reaped children (cutime + cstime): how the floor's rsync is measured. */
export function reapedChildrenCpuSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'latin1');
  const f = text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
  return (Number(f[16 - 3]) + Number(f[17 - 3])) / CLK_TCK;
}

function statusKiB(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const MB = 1_000_000;

export interface TreeMemory {
  /** VmHWM (peak resident set) of the main process, MB (10^6 bytes). */
  peakMB: number;
  /** VmRSS of the main process now, MB. */
  rssMB: number;
  /** Sum of VmRSS over the tree now, MB. */
  treeRssMB: number;
}

/**
 * Memory of the tree rooted at `root`. The main process is the root, or the first process of the tree named
 * `mainComm` (the inotifywait under the shell script), or the root's child running the same program.
 */
export function treeMemory(root: number, mainComm?: string): TreeMemory {
  const tree = processTree(root);
  // A process that ran itself again (rsync-live relaunched without its small-heap node flags for chokidar or
  // fs.watch, electron/cli/heap-flags.ts) is measured in that child: the parent only waits.
  const root0 = tree[0];
  const relaunched = tree.find((p) => p.ppid === root0?.pid && p.comm === root0.comm);
  const main =
    (mainComm !== undefined ? tree.find((p) => p.comm === mainComm) : undefined) ?? relaunched ?? root0;
  let treeRss = 0;
  for (const st of tree) treeRss += statusKiB(st.pid, 'VmRSS');
  const mb = (kib: number): number => (kib * 1024) / MB;
  return {
    peakMB: main ? mb(statusKiB(main.pid, 'VmHWM')) : 0,
    rssMB: main ? mb(statusKiB(main.pid, 'VmRSS')) : 0,
    treeRssMB: mb(treeRss),
  };
}

/** Live processes whose process group is one of `groups` (what a tool left behind after being stopped). */
export function processesInGroups(groups: ReadonlySet<number>): { pid: number; comm: string }[] {
  return allStats()
    .filter((st) => groups.has(st.pgrp))
    .map((st) => ({ pid: st.pid, comm: st.comm }));
}
