// Benchmark suite: runs Rsync Live as its real CLI process (`node bin/rsync-live.js`, built by `npm run build`)
// with default settings: `watch` (inotify, the default watcher, or `--watcher chokidar`), or, for the churn
// only, `run --config` with a pair that differs from the defaults in `deleteGuard.enabled: false`. Ready = its
// "watching … (N directories, …)" log line, synced = one "full sync: … ok" line per target.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLogged } from '../proc.js';
import type { ToolId } from '../types.js';
import type { RunningTool, ToolStart, WatchTool } from './types.js';

const REPO_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
let bin = REPO_BIN;

/**
 * Runs the CLI from a copy of bin/ and dist/ (see snapshotEngine in run.ts: the working tree is shared, and a
 * rebuild by someone else during the suite must not change the engine under test).
 */
export function useRsyncLiveBin(file: string): void {
  bin = file;
}

/**
 * The node flags of the bin's `#!/usr/bin/env -S node FLAGS` line: the installed `rsync-live` command runs with
 * them, so the suite does too (it starts the bin with this process's node, as `node FLAGS bin ...`).
 */
export function shebangNodeFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env\s+(?:-S\s+)?node((?:\s+--?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return (
    m?.[1]
      ?.trim()
      .split(/\s+/)
      .filter((f) => f !== '') ?? []
  );
}

export type RsyncLiveVariant = 'inotify' | 'chokidar' | 'noguard';

const IDS: Readonly<Record<RsyncLiveVariant, ToolId>> = {
  inotify: 'rsync-live',
  chokidar: 'rsync-live-chokidar',
  noguard: 'rsync-live-noguard',
};

/** The `run --config` file of the no-guard variant: one pair, defaults but for the delete guard. */
export function noGuardConfig(source: string, targets: readonly string[], passwordFile: string): string {
  const config = {
    version: 1,
    pairs: [
      {
        id: 'bench',
        folder: source,
        targets: targets.map((url, i) => ({ id: `t${i + 1}`, url, passwordFile })),
        deleteGuard: { enabled: false },
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function rsyncLiveTool(variant: RsyncLiveVariant): WatchTool {
  const id = IDS[variant];
  const extra = variant === 'chokidar' ? ['--watcher', 'chokidar'] : [];
  return {
    id,
    describe: () =>
      (variant === 'noguard'
        ? 'node bin/rsync-live.js run --config RUN_DIR/rsync-live.json --state-dir RUN_DIR/state, where the config is:\n\n' +
          noGuardConfig('SOURCE', ['rsync://backup@127.0.0.1:PORT/t1'], 'PASSWORD_FILE')
        : `node bin/rsync-live.js watch SOURCE rsync://backup@127.0.0.1:PORT/t1 [rsync://…/t2 …] ` +
          `--password-file PASSWORD_FILE --state-dir RUN_DIR/state${extra.length ? ` ${extra.join(' ')}` : ''}\n` +
          '(no other options: the engine defaults)') +
      `\n(node runs with the flags of the bin's first line, as the installed rsync-live command does: ${shebangNodeFlags(bin).join(' ')})`,
    async start(o: ToolStart): Promise<RunningTool> {
      const state = path.join(o.workDir, 'state');
      let args: string[];
      if (variant === 'noguard') {
        const config = path.join(o.workDir, 'rsync-live.json');
        await writeFile(
          config,
          noGuardConfig(
            o.source,
            o.targets.map((t) => t.url),
            o.passwordFile,
          ),
        );
        args = [bin, 'run', '--config', config, '--state-dir', state];
      } else {
        const urls = o.targets.map((t) => t.url);
        args = [
          bin,
          'watch',
          o.source,
          ...urls,
          '--password-file',
          o.passwordFile,
          '--state-dir',
          state,
          ...extra,
        ];
      }
      const proc = spawnLogged(process.execPath, [...shebangNodeFlags(bin), ...args], {
        logFile: path.join(o.workDir, `${id}.log`),
      });
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
