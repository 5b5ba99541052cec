// The command plugin: runs `command... <absolute path> suffix...` per changed path as an argv array (never a
// shell, so no name can inject anything), with a timeout, the change in RSYNC_LIVE_* variables and at most a
// few KiB of its output kept for the log.
import { execa } from 'execa';
import type { CommandPluginConfig } from './config.js';
import type { Outcome } from './queue.js';
import type { PluginItem, PluginLog, PluginRunner } from './runner.js';

const OUTPUT_LIMIT = 2_000;

function tail(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const short = trimmed.length > OUTPUT_LIMIT ? `…${trimmed.slice(-OUTPUT_LIMIT)}` : trimmed;
  return `: ${short.replace(/\s*\n\s*/g, ' | ')}`;
}

export class CommandRunner implements PluginRunner {
  readonly #config: CommandPluginConfig;
  readonly #log: PluginLog;

  constructor(config: CommandPluginConfig, log: PluginLog) {
    this.#config = config;
    this.#log = log;
  }

  argv(item: PluginItem): string[] {
    return [...this.#config.command, item.abspath, ...this.#config.suffix];
  }

  async run(item: PluginItem, signal: AbortSignal): Promise<Outcome> {
    const [file, ...args] = this.argv(item) as [string, ...string[]];
    const result = await execa(file, args, {
      reject: false,
      shell: false,
      stdin: 'ignore',
      all: true,
      maxBuffer: 64 * 1024,
      timeout: this.#config.timeoutSec * 1000,
      forceKillAfterDelay: 2_000,
      cancelSignal: signal,
      cwd: item.folder,
      env: {
        RSYNC_LIVE_PAIR: item.pairId,
        RSYNC_LIVE_FOLDER: item.folder,
        RSYNC_LIVE_PATH: item.path,
        RSYNC_LIVE_CHANGE: item.change,
        RSYNC_LIVE_TYPE: item.dir ? 'dir' : 'file',
      },
    });
    if (result.exitCode === 0) return { ok: true };
    const what = `${file} for ${JSON.stringify(item.path)}`;
    if (result.exitCode === undefined && !result.timedOut && !result.isCanceled && !result.signal) {
      const code = (result.cause as NodeJS.ErrnoException | undefined)?.code ?? result.shortMessage;
      return {
        ok: false,
        retry: false,
        message: `cannot run ${what} (${code}): check the program in the plugin's command (sersync prefix)`,
      };
    }
    if (result.timedOut) {
      return {
        ok: false,
        retry: false,
        message: `${what} ran longer than ${this.#config.timeoutSec} s and was stopped${tail(String(result.all ?? ''))}`,
      };
    }
    if (result.isCanceled) return { ok: false, retry: false, message: `${what} was stopped (shutting down)` };
    const status = result.signal ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
    const message = `${what} ${status}${tail(String(result.all ?? ''))}`;
    if (this.#config.ignoreError) {
      this.#log('info', `${message} (ignored: ignoreError is on)`);
      return { ok: true };
    }
    return { ok: false, retry: false, message };
  }

  async close(): Promise<void> {}
}
