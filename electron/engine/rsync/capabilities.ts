// Learns what a target's rsync server accepts, once per target: dry runs (-n, nothing is written) that send
// the options real syncs send, one option in question at a time. The greeting (@RSYNCD: 31.0 for 3.1.2 up to
// 3.2.x) cannot tell the versions apart, and a daemon that refuses an option only resets the connection, so
// trying is the only way to know. Results are cached in memory per target until a re-probe is asked for.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DeletionPolicy, RsyncOptions } from '../../shared/config.js';
import { buildArgs } from './command.js';
import { runRsync, type RunResult } from './runner.js';
import { FULL_CAPABILITIES, versionLabel, type ServerCapabilities } from './server-capabilities.js';
import type { Target } from './target.js';

export * from './server-capabilities.js';

export interface ProbeRequest {
  rsync: string;
  target: Target;
  deletion: DeletionPolicy;
  options: RsyncOptions;
  password: string | null;
  passwordFile: string | null;
  /** Ignore a cached result (after an outage the server may have been replaced). */
  refresh?: boolean;
}

export type ProbeOutcome =
  | { ok: true; capabilities: ServerCapabilities }
  /**
   * The plain dry run failed: the server is unreachable or rejects the login (`result` says why), or it
   * refuses some of the target's own rsync.extraArgs, named in `refused`.
   */
  | { ok: false; result: RunResult; refused?: string[] };

const cache = new Map<string, ServerCapabilities>();

function cacheKey(request: ProbeRequest): string {
  const t = request.target;
  if (t.kind === 'local') return 'local';
  const port = t.kind === 'daemon' ? `:${t.port ?? ''}/${t.module}` : '';
  return `${t.kind}:${t.user ?? ''}@${t.host}${port}|${request.rsync}|${request.options.extraArgs.join('\0')}`;
}

/** Forgets what is known about a target, so the next probeCapabilities asks its server again. */
export function forgetCapabilities(request: Pick<ProbeRequest, 'rsync' | 'target' | 'options'>): void {
  cache.delete(cacheKey(request as ProbeRequest));
}

/** The module root (daemon) or the login directory (ssh): probes never depend on a sub-path existing. */
function rootOf(target: Target): Target {
  if (target.kind === 'daemon') return { ...target, path: '' };
  if (target.kind === 'ssh') return { ...target, path: target.path.startsWith('/') ? '/' : '' };
  return target;
}

/** The probe's scratch name: not on the server, and a dry run of its deletion touches nothing anyway. */
const PROBE_DIR = '.rsync-live-probe-nonexistent';

/**
 * Learns (or returns the cached) capabilities of the target's server. About half a second per probe; the
 * probes run side by side. Local targets use the local client: every option is there.
 */
export async function probeCapabilities(request: ProbeRequest): Promise<ProbeOutcome> {
  if (request.target.kind === 'local') return { ok: true, capabilities: FULL_CAPABILITIES };
  const key = cacheKey(request);
  const cached = request.refresh ? undefined : cache.get(key);
  if (cached) return { ok: true, capabilities: cached };

  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-caps-'));
  try {
    const base = buildArgs({
      kind: 'paths',
      folder: scratch,
      target: rootOf(request.target),
      deletion: request.deletion,
      options: request.options,
      passwordFile: request.passwordFile,
      excludeGlobs: [],
      today: '1970-01-01',
      capabilities: { ...FULL_CAPABILITIES, modifyWindowNs: false, mkpath: false },
    }).filter((arg) => !arg.startsWith('--info=') && !arg.startsWith('--out-format='));
    const dest = base.slice(-2);
    const opts = base.slice(0, -2);
    const dry = (extra: string[], list: string[]): Promise<RunResult> =>
      runRsync({
        rsync: request.rsync,
        args: ['--dry-run', ...opts, ...extra, ...dest],
        input: Buffer.from(list.map((p) => `${p}\0`).join('')),
        password: request.password,
      });
    const plain = await dry([], [PROBE_DIR]);
    if (!accepted(plain)) {
      const refused = await refusedExtras(request.options.extraArgs, opts, (args) =>
        runRsync({
          rsync: request.rsync,
          args: ['--dry-run', ...args, ...dest],
          input: Buffer.from(`${PROBE_DIR}\0`),
          password: request.password,
        }),
      );
      return refused.length > 0 ? { ok: false, result: plain, refused } : { ok: false, result: plain };
    }
    const [window, mkpath] = await Promise.all([
      dry(['--modify-window=-1'], [PROBE_DIR]),
      dry(['--mkpath'], [PROBE_DIR]),
    ]);
    // The nested-deletion abort needs the directory to exist on the server (a dry run tolerates the missing
    // parent), so no dry run shows it; it was fixed in 3.2.3, the release that brought --mkpath.
    const found = {
      modifyWindowNs: accepted(window),
      mkpath: accepted(mkpath),
      nestedDeletes: accepted(mkpath),
    };
    const capabilities: ServerCapabilities = { ...found, version: versionLabel(found) };
    cache.set(key, capabilities);
    return { ok: true, capabilities };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** A missing listed path ends a dry run with 24 ("vanished"); a refused option resets the connection. */
function accepted(result: RunResult): boolean {
  return result.exitCode === 0 || result.exitCode === 24;
}

/** A refused option resets the connection (10, 12) or ends the session (5, 4, 1, 2). */
const REFUSAL_EXITS: ReadonlySet<number | null> = new Set([1, 2, 4, 5, 10, 12]);

/**
 * When the dry run with the user's extra options fails but one without them works, the extra options the
 * server refuses (each tried on its own; all of them when none fails alone). Empty otherwise.
 */
async function refusedExtras(
  extra: readonly string[],
  opts: readonly string[],
  dry: (args: string[]) => Promise<RunResult>,
): Promise<string[]> {
  if (extra.length === 0) return [];
  const withoutExtra = opts.slice(0, opts.length - extra.length);
  const bare = await dry(withoutExtra);
  if (!accepted(bare)) return [];
  const alone = await Promise.all(extra.map((arg) => dry([...withoutExtra, arg])));
  const refused = extra.filter((_, i) => REFUSAL_EXITS.has(alone[i]?.exitCode ?? null));
  return refused.length > 0 ? refused : [...extra];
}
