// Starts a real Engine on a temporary folder against real targets, collecting its events for assertions.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine, type EnginePairConfig } from '../../electron/engine/index.js';
import { pairSchema, type PairConfigInput } from '../../electron/shared/config.js';
import type { BatchSummary, SyncError } from '../../electron/shared/state.js';

export interface Harness {
  engine: Engine;
  src: string;
  batches: BatchSummary[];
  failures: { targetId: string | null; error: SyncError }[];
  recovered: (string | null)[];
  stop(): Promise<void>;
}

export async function tempDir(prefix = 'rsync-live-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function pairConfig(
  input: Omit<PairConfigInput, 'id'> & { id?: string },
  passwords: Record<string, string> = {},
): EnginePairConfig {
  const parsed = pairSchema.parse({ id: 'p', ...input });
  return {
    ...parsed,
    targets: parsed.targets.map((t) => {
      const password = passwords[t.id];
      return password ? { ...t, password } : t;
    }),
  };
}

export async function startHarness(config: EnginePairConfig): Promise<Harness> {
  const engine = new Engine({ fallbackFullSyncMs: 2_000 });
  const harness: Harness = {
    engine,
    src: config.folder,
    batches: [],
    failures: [],
    recovered: [],
    stop: () => engine.stop(),
  };
  engine.on('batch-end', (b) => harness.batches.push(b));
  engine.on('failure', (f) => harness.failures.push({ targetId: f.targetId, error: f.error }));
  engine.on('recovered', (r) => harness.recovered.push(r.targetId));
  await engine.addPair(config);
  return harness;
}

/** Polls until `check` passes or the time is up; the last failure is rethrown. */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
