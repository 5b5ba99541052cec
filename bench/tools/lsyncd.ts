// Benchmark suite: runs lsyncd 2.2.3 (/usr/bin/lsyncd) with a generated Lua config: one `default.rsync` sync per
// target, `rsync = { archive = true, password_file = … }`, the default delay (15 s) or `delay = 0.1`, nothing
// else changed. Ready = its "recursive startup rsync" log line per target (watches are in place by then),
// synced = its "Startup of … finished." line per target.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnLogged } from '../proc.js';
import type { RunningTool, ToolStart, WatchTool } from './types.js';

export const LSYNCD_BIN = '/usr/bin/lsyncd';

const lua = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** The Lua config for `source` and `targets` (delay null = lsyncd's default). */
export function lsyncdConfig(o: {
  source: string;
  targets: readonly string[];
  passwordFile: string;
  delay: number | null;
}): string {
  const lines = ['settings {', '    nodaemon = true,', '}'];
  for (const target of o.targets) {
    lines.push(
      'sync {',
      '    default.rsync,',
      `    source = ${lua(`${o.source.replace(/\/+$/, '')}/`)},`,
      `    target = ${lua(`${target.replace(/\/+$/, '')}/`)},`,
      ...(o.delay === null ? [] : [`    delay = ${o.delay},`]),
      '    rsync = {',
      '        archive = true,',
      `        password_file = ${lua(o.passwordFile)},`,
      '    },',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

export function lsyncdTool(delay: number | null): WatchTool {
  const id = delay === null ? 'lsyncd-15s' : 'lsyncd-0.1s';
  return {
    id,
    describe: () =>
      `${LSYNCD_BIN} RUN_DIR/lsyncd.lua, where lsyncd.lua is (one sync block per target):\n\n` +
      lsyncdConfig({
        source: 'SOURCE',
        targets: ['rsync://backup@127.0.0.1:PORT/t1'],
        passwordFile: 'PASSWORD_FILE',
        delay,
      }),
    async start(o: ToolStart): Promise<RunningTool> {
      const config = path.join(o.workDir, `${id}.lua`);
      await writeFile(
        config,
        lsyncdConfig({
          source: o.source,
          targets: o.targets.map((t) => t.url),
          passwordFile: o.passwordFile,
          delay,
        }),
      );
      const proc = spawnLogged(LSYNCD_BIN, [config], { logFile: path.join(o.workDir, `${id}.log`) });
      return {
        id,
        proc,
        async ready(timeoutMs, onWatching) {
          const count = o.targets.length;
          const watchingAt = await proc.waitFor(/Normal: recursive startup rsync: /, { count, timeoutMs });
          onWatching?.();
          const syncedAt = await proc.waitFor(/Normal: Startup of .* finished/, { count, timeoutMs });
          return { watchingAt, syncedAt };
        },
        stop: () => proc.stop(),
      };
    },
  };
}
