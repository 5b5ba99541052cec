// The types a pair and its parts share: the pair's configuration as the engine takes it (passwords in memory
// only) and what the engine gives every pair (rsync, clock, events, state directory).
import type { PairConfig, ParsedTargetConfig } from '../shared/config.js';
import type { EngineEvents } from '../shared/state.js';
import type { Clock } from './clock.js';
import type { PairingStore } from './pairing-store.js';

/** A target as parsed (its id assigned once, by the schema: electron/shared/config.ts). */
export interface EngineTargetConfig extends ParsedTargetConfig {
  /** Daemon password held in memory only (the desktop app decrypts it from safeStorage). */
  password?: string;
}

export interface EnginePairConfig extends Omit<PairConfig, 'targets'> {
  targets: EngineTargetConfig[];
}

export interface PairContext {
  rsync: string;
  clock: Clock;
  emit: <K extends keyof EngineEvents>(event: K, ...args: EngineEvents[K]) => void;
  hasListeners: (event: keyof EngineEvents) => boolean;
  /** Periodic full sync interval when the watcher cannot cover the folder (watch limit), in ms. */
  fallbackFullSyncMs: number;
  maxBatch: number;
  /** Where unfinished queues, tripped guards and pairings are kept across restarts; null: memory only. */
  stateDir: string | null;
  /** Where the folder+target locks go (target-lock.ts); null: no locks. */
  lockDir: string | null;
  /** Who holds them, as other processes' messages name it (a command line). */
  lockHolder: string;
  /** First syncs done, per folder and target (shared by every pair of an engine). */
  pairings: PairingStore;
  /** A burst of at least `paths` paths is verified by a full sync once it has been quiet for `quietMs`. */
  burstVerify: { paths: number; quietMs: number };
}
