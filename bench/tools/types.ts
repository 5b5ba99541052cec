// Benchmark suite: the interface every watching tool implements (start it on a folder and targets, wait until
// it watches and has finished its start-up sync, stop it), so workloads treat Rsync Live and its peers alike.
import type { BenchTarget } from '../daemons.js';
import type { Spawned } from '../proc.js';
import type { ToolId } from '../types.js';

export interface ToolStart {
  /** Absolute source folder. */
  source: string;
  targets: readonly BenchTarget[];
  /** 0600 file holding the daemon password. */
  passwordFile: string;
  /** For tools that take it from the environment (RSYNC_PASSWORD); never put in argv. */
  password: string;
  /** A fresh private directory for this run: config, state, log. */
  workDir: string;
}

export interface Ready {
  /** performance.now() when the tool said it watches the whole folder. */
  watchingAt: number;
  /** performance.now() when its start-up sync of every target finished; null if it has none. */
  syncedAt: number | null;
}

export interface RunningTool {
  readonly id: ToolId;
  readonly proc: Spawned;
  /** The process whose memory is reported, by name, when it is not the root (see treeMemory). */
  readonly mainComm?: string;
  /**
   * Waits for the ready signals (see `Ready`), calling `onWatching` as soon as the first one is seen; rejects
   * on timeout or if the tool exits.
   */
  ready(timeoutMs: number, onWatching?: () => void): Promise<Ready>;
  /** Stops the tool's whole process group (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

export interface WatchTool {
  readonly id: ToolId;
  start(options: ToolStart): Promise<RunningTool>;
  /** Exactly what is run, with placeholders, for the report's method section. */
  describe(): string;
}
