// One target's server, as the engine sees it before a run: its capabilities (probed once, again after an
// outage) and, where the server lacks --mkpath, its sub-path created before the first transfer. The engine
// calls prepare() before every run (cheap once known) and invalidate() when the target fails with an outage.
import type { DeletionPolicy, RsyncOptions } from '../../shared/config.js';
import { fallbacks, probeCapabilities, refusalMessage, type ServerCapabilities } from './capabilities.js';
import { ensureTargetPath } from './ensure-path.js';
import { OPTION_SINCE, type FailureContext } from './exit-codes.js';
import type { RunResult } from './runner.js';
import type { Target } from './target.js';

export interface TargetServerOptions {
  rsync: string;
  target: Target;
  /** host::module/path, for messages. */
  label: string;
  deletion: DeletionPolicy;
  options: RsyncOptions;
  password: string | null;
  passwordFile: string | null;
  /** Told once per probe what the server lacks and what is done instead. */
  log: (level: 'info' | 'warn', message: string) => void;
}

export type Prepared =
  | { ok: true; capabilities: ServerCapabilities }
  /** The server could not be probed or the sub-path not created: the run fails with this result. */
  | { ok: false; result: RunResult; step: 'probe' | 'mkpath'; refused?: FailureContext['refused'] };

export class TargetServer {
  readonly #options: TargetServerOptions;
  #capabilities: ServerCapabilities | null = null;
  #pathReady = false;
  #refresh = false;
  #pending: Promise<Prepared> | null = null;

  constructor(options: TargetServerOptions) {
    this.#options = options;
  }

  /** What is known now (null before the first probe or after invalidate()). */
  get capabilities(): ServerCapabilities | null {
    return this.#capabilities;
  }

  /** The server may have changed (it went away): probe it again and re-check the sub-path before the next run. */
  invalidate(): void {
    this.#capabilities = null;
    this.#pathReady = false;
    this.#refresh = true;
  }

  /** Capabilities for the next run; concurrent callers share one probe. */
  prepare(): Promise<Prepared> {
    if (this.#capabilities && this.#pathReady)
      return Promise.resolve({ ok: true, capabilities: this.#capabilities });
    this.#pending ??= this.#prepare().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #prepare(): Promise<Prepared> {
    const o = this.#options;
    if (!this.#capabilities) {
      const probed = await probeCapabilities({
        rsync: o.rsync,
        target: o.target,
        deletion: o.deletion,
        options: o.options,
        password: o.password,
        passwordFile: o.passwordFile,
        refresh: this.#refresh,
      });
      if (!probed.ok) {
        if (!probed.refused) return { ok: false, result: probed.result, step: 'probe' };
        const needs = probed.refused.map((arg) => OPTION_SINCE[arg]).find((v) => v !== undefined);
        return {
          ok: false,
          result: probed.result,
          step: 'probe',
          refused: {
            options: probed.refused,
            needs: needs ?? null,
            instead: `rsync-live sent nothing to this target: remove ${probed.refused.length > 1 ? 'them' : 'it'} from the pair's or target's rsync.extraArgs, or upgrade rsync on the server`,
          },
        };
      }
      this.#refresh = false;
      this.#capabilities = probed.capabilities;
      for (const fallback of fallbacks(probed.capabilities))
        o.log('info', refusalMessage(`${o.label} (rsync ${probed.capabilities.version})`, fallback));
    }
    if (!this.#pathReady) {
      if (!this.#capabilities.mkpath) {
        const made = await ensureTargetPath(o);
        if (made && made.exitCode !== 0) return { ok: false, result: made, step: 'mkpath' };
      }
      this.#pathReady = true;
    }
    return { ok: true, capabilities: this.#capabilities };
  }
}
