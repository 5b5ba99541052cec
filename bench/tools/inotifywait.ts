// Benchmark suite: runs the classic inotifywait + rsync shell loop (inotifywait-sync.sh beside this file, drain
// variant) with `bash`; the password reaches rsync through RSYNC_PASSWORD. Ready = "Watches established.";
// it has no start-up sync.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLogged } from '../proc.js';
import type { RunningTool, ToolStart, WatchTool } from './types.js';

export const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'inotifywait-sync.sh');

export function inotifywaitTool(): WatchTool {
  return {
    id: 'inotifywait',
    describe: () =>
      `RSYNC_PASSWORD=… bash bench/tools/inotifywait-sync.sh SOURCE rsync://backup@127.0.0.1:PORT/t1 [DEST …]:\n\n` +
      readFileSync(SCRIPT, 'utf8'),
    async start(o: ToolStart): Promise<RunningTool> {
      const proc = spawnLogged('bash', [SCRIPT, o.source, ...o.targets.map((t) => `${t.url}/`)], {
        logFile: path.join(o.workDir, 'inotifywait.log'),
        env: { ...process.env, RSYNC_PASSWORD: o.password },
      });
      return {
        id: 'inotifywait',
        proc,
        mainComm: 'inotifywait',
        async ready(timeoutMs, onWatching) {
          const watchingAt = await proc.waitFor(/^Watches established\./, { timeoutMs });
          onWatching?.();
          return { watchingAt, syncedAt: null };
        },
        stop: () => proc.stop(),
      };
    },
  };
}
