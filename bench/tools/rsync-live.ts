// Benchmark suite: runs Rsync Live as its real CLI process (`node bin/rsync-live.js watch`, built by
// `npm run build`) with default settings; ready = its "watching … (N directories, …)" log line, synced = one
// "full sync: … ok" line per target.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLogged } from '../proc.js';
import type { ToolId } from '../types.js';
import type { RunningTool, ToolStart, WatchTool } from './types.js';

const REPO_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
let bin = REPO_BIN;

/**
 * Runs the CLI from a copy of bin/ and dist/ (see snapshotEngine in run.ts: the working tree is shared, and a rebuild by someone
 * else during the suite must not change the engine under test).
 */
export function useRsyncLiveBin(file: string): void {
  bin = file;
}

export function rsyncLiveTool(watcher: 'inotify' | 'chokidar'): WatchTool {
  const id: ToolId = watcher === 'inotify' ? 'rsync-live' : 'rsync-live-chokidar';
  const extra = watcher === 'chokidar' ? ['--watcher', 'chokidar'] : [];
  return {
    id,
    describe: () =>
      `node bin/rsync-live.js watch SOURCE rsync://backup@127.0.0.1:PORT/t1 [rsync://…/t2 …] ` +
      `--password-file FILE --state-dir RUN_DIR/state${extra.length ? ` ${extra.join(' ')}` : ''}\n` +
      `(defaults otherwise: 50 ms quiet period, 1 s cap, 2 runs in flight per target, start-up full sync)`,
    async start(o: ToolStart): Promise<RunningTool> {
      const args = [
        bin,
        'watch',
        o.source,
        ...o.targets.map((t) => t.url),
        '--password-file',
        o.passwordFile,
        '--state-dir',
        path.join(o.workDir, 'state'),
        ...extra,
      ];
      const proc = spawnLogged(process.execPath, args, { logFile: path.join(o.workDir, `${id}.log`) });
      return {
        id,
        proc,
        async ready(timeoutMs, onWatching) {
          const watchingAt = await proc.waitFor(/watching .* \(\d+ directories, \w+\)/, { timeoutMs });
          onWatching?.();
          const syncedAt = await proc.waitFor(/\] full sync: .*, ok$/, {
            count: o.targets.length,
            timeoutMs,
          });
          return { watchingAt, syncedAt };
        },
        stop: () => proc.stop(),
      };
    },
  };
}
