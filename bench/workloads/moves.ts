// Benchmark suite, workload (g): moves inside the watched folder, nothing changed (issue 13). An album directory
// renamed, a video moved into another directory under a new name, a file renamed in place and a project
// directory moved under another parent. The files are written and synced first; the daemon's transfer log is
// read from after that point. Figures: file data sent per byte moved (1.00 = everything sent again) and the
// time from the last move until the target matches the source.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitForTree } from '../converge.js';
import { logMark, transfersSince, type BenchTarget } from '../daemons.js';
import { floorSync } from '../tools/floor.js';
import type { Metrics } from '../types.js';
import type { Outcome, Scenario, SuiteContext } from './harness.js';

const MiB = 2 ** 20;

/** The files before the moves, in MiB: about 2/3 album, 1/8 video, 1/20 document, the rest a project. */
function layout(totalMiB: number): [string, number][] {
  const files: [string, number][] = [];
  const album = Math.max(1, Math.round((totalMiB * 0.65) / 5));
  for (let i = 1; i <= 5; i++) files.push([`album/track${i}.flac`, album]);
  files.push(['inbox/video.mp4', Math.max(1, Math.round(totalMiB * 0.13))]);
  files.push(['notes.pdf', Math.max(1, Math.round(totalMiB * 0.05))]);
  const project = Math.max(1, Math.round((totalMiB * 0.17) / 4));
  for (const name of ['src/a.bin', 'src/b.bin', 'assets/c.bin', 'd.bin'])
    files.push([`project/${name}`, project]);
  return files;
}

function writeFiles(src: string, files: [string, number][]): number {
  let bytes = 0;
  for (const [rel, mib] of files) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), randomBytes(mib * MiB)); // random: no compression, no accidental match
    bytes += mib * MiB;
  }
  mkdirSync(path.join(src, 'archive'), { recursive: true });
  mkdirSync(path.join(src, 'work'), { recursive: true });
  return bytes;
}

/** The moves, one after another; returns performance.now() after the last. */
function move(src: string): number {
  const at = (rel: string) => path.join(src, rel);
  renameSync(at('album'), at('album 2024'));
  renameSync(at('inbox/video.mp4'), at('archive/holiday clip.mp4'));
  renameSync(at('notes.pdf'), at('notes-final.pdf'));
  renameSync(at('project'), at('work/project'));
  return performance.now();
}

export function movesScenario(ctx: SuiteContext, target: BenchTarget): Scenario {
  const files = layout(ctx.opts.sizes.movesMiB);
  const movedBytes = files.reduce((sum, [, mib]) => sum + mib * MiB, 0);
  const after = async (mark: number, metrics: Metrics): Promise<void> => {
    const t = await transfersSince(target.daemon, mark, [target.module]);
    metrics['movedBytes'] = movedBytes;
    metrics['moveSentBytes'] = t.dataBytes;
    metrics['moveSendRatio'] = t.dataBytes / movedBytes;
  };
  return {
    workload: 'moves',
    targets: [target],
    async act(src): Promise<Outcome> {
      writeFiles(src, files);
      const written = performance.now();
      const synced = await waitForTree(src, target.path, written, written + ctx.opts.timeoutMs);
      if (synced.doneAt === null)
        return {
          converged: false,
          metrics: {},
          notes: ['the files never reached the target before the moves'],
        };
      const mark = logMark(target.daemon);
      const lastMoveAt = move(src);
      const w = await waitForTree(src, target.path, lastMoveAt, lastMoveAt + ctx.opts.timeoutMs);
      const metrics: Metrics = {};
      await after(mark, metrics);
      if (w.doneAt === null) {
        metrics['diffs'] = w.missingCount;
        return {
          converged: false,
          metrics,
          notes: [`did not converge after the moves: ${w.missing.join(', ')}`],
        };
      }
      metrics['convergeMs'] = w.doneAt - lastMoveAt;
      return { converged: true, metrics, notes: [] };
    },
    async floor(src): Promise<Outcome> {
      writeFiles(src, files);
      const first = await floorSync(src, [target], ctx.daemons.passwordFile, ['--delete']);
      const mark = logMark(target.daemon);
      move(src);
      const f = await floorSync(src, [target], ctx.daemons.passwordFile, ['--delete']);
      const metrics: Metrics = { cpuSec: f.cpuSec, convergeMs: f.perTargetMs[0] ?? NaN };
      await after(mark, metrics);
      const notes = [...first.errors, ...f.errors];
      return { converged: notes.length === 0, metrics, notes };
    },
  };
}
