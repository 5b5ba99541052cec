// What a plugin runner is given per changed path and what it returns. Shared by the command, socket and http
// runners and the PluginHost; no I/O.
import type { Outcome } from './queue.js';

export interface PluginItem {
  pairId: string;
  /** The folder `path` is relative to: the plugin's folder, or the pair's folder. */
  folder: string;
  /** Relative path, "/"-separated (display form: invalid UTF-8 bytes appear as U+FFFD). */
  path: string;
  abspath: string;
  change: 'upsert' | 'delete';
  dir: boolean;
}

export interface PluginRunner {
  run(item: PluginItem, signal: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}

export type PluginLog = (level: 'info' | 'warn' | 'error', message: string) => void;
