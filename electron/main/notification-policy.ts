// When to notify, free of Electron: fed the app's `failure` and `recovered` events and its state snapshots,
// decides which desktop notifications to show. One notification per incident per target (retries stay
// silent; a target notifies again only after it recovered and failed anew), one summary when several targets
// start failing together, a quiet "back in sync" for a target that had notified, nothing when notifications
// are off. New incidents are held for `windowMs` before they are announced, so a burst becomes one summary and
// a target that recovers within the window never notifies. Takes an injected clock; notifications.ts shows
// the decisions. Must not import electron.
import type { ApiEvents } from '../shared/api.js';
import type { EngineState } from '../shared/state.js';
import type { Clock } from '../engine/clock.js';
import { targetLabel } from './tray-model.js';

export interface NotificationDecision {
  kind: 'failure' | 'summary' | 'recovered';
  title: string;
  body: string;
  /** The pair the window should open on when the notification is clicked. */
  pairId: string;
  targetId: string | null;
  /** Quiet notices: no sound, low urgency. */
  quiet: boolean;
}

export interface NotificationPolicyOptions {
  clock: Clock;
  /** Receives each decision when it is due. */
  show: (decision: NotificationDecision) => void;
  /** settings.notifications at start-up (setEnabled changes it). */
  enabled?: boolean;
  /** How long new incidents are gathered before they are announced, in ms. */
  windowMs?: number;
  /** This many incidents within one window become a single summary. */
  burstThreshold?: number;
}

interface Incident {
  pairId: string;
  targetId: string | null;
  message: string;
  /** Announced: null while held in the window, then whether a notification was actually shown. */
  notified: boolean | null;
}

export const DEFAULT_WINDOW_MS = 5_000;
export const DEFAULT_BURST_THRESHOLD = 3;
const SUMMARY_LIST = 3;

function incidentKey(pairId: string, targetId: string | null): string {
  return `${pairId}\u0000${targetId ?? ''}`;
}

export class NotificationPolicy {
  readonly #clock: Clock;
  readonly #show: (decision: NotificationDecision) => void;
  readonly #windowMs: number;
  readonly #burstThreshold: number;
  #enabled: boolean;
  readonly #incidents = new Map<string, Incident>();
  /** Keys of incidents waiting for the current window to close, in arrival order. */
  #held: string[] = [];
  #timer: unknown = null;
  #labels = new Map<string, { pair: string; target: string | null }>();

  constructor(options: NotificationPolicyOptions) {
    this.#clock = options.clock;
    this.#show = options.show;
    this.#enabled = options.enabled ?? true;
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#burstThreshold = Math.max(2, options.burstThreshold ?? DEFAULT_BURST_THRESHOLD);
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** settings.notifications changed. Incidents are still tracked while off, so turning it on never replays them. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** Incidents currently tracked (held or announced). */
  get activeIncidents(): number {
    return this.#incidents.size;
  }

  failure(info: ApiEvents['failure']): void {
    const key = incidentKey(info.pairId, info.targetId);
    const known = this.#incidents.get(key);
    if (known) {
      known.message = info.error.message;
      return;
    }
    this.#incidents.set(key, {
      pairId: info.pairId,
      targetId: info.targetId,
      message: info.error.message,
      notified: null,
    });
    this.#held.push(key);
    this.#timer ??= this.#clock.setTimeout(() => this.#release(), this.#windowMs);
  }

  recovered(info: ApiEvents['recovered']): void {
    const key = incidentKey(info.pairId, info.targetId);
    const incident = this.#incidents.get(key);
    if (!incident) return;
    this.#incidents.delete(key);
    if (incident.notified === null) {
      this.#held = this.#held.filter((held) => held !== key);
      return;
    }
    if (incident.notified && this.#enabled) {
      const { pair, target } = this.#label(incident);
      this.#show({
        kind: 'recovered',
        title: `Back in sync: ${pair}`,
        body: target ?? 'The folder is being watched again.',
        pairId: incident.pairId,
        targetId: incident.targetId,
        quiet: true,
      });
    }
  }

  /**
   * Learns pair and target names, and forgets incidents the state no longer shows (pair removed, target gone,
   * error cleared by a restart after an edit) without notifying.
   */
  updateState(state: EngineState): void {
    const labels = new Map<string, { pair: string; target: string | null }>();
    const failing = new Set<string>();
    for (const pair of state.pairs) {
      labels.set(incidentKey(pair.id, null), { pair: pair.name, target: null });
      if (pair.watcher.error) failing.add(incidentKey(pair.id, null));
      for (const target of pair.targets) {
        const key = incidentKey(pair.id, target.id);
        labels.set(key, { pair: pair.name, target: targetLabel(pair, target) });
        if (target.error) failing.add(key);
      }
    }
    this.#labels = labels;
    for (const key of [...this.#incidents.keys()]) {
      if (failing.has(key)) continue;
      this.#incidents.delete(key);
      this.#held = this.#held.filter((held) => held !== key);
    }
  }

  /** Stops the pending timer (app quitting). */
  dispose(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#held = [];
  }

  #label(incident: Incident): { pair: string; target: string | null } {
    const known = this.#labels.get(incidentKey(incident.pairId, incident.targetId));
    if (known) return known;
    return {
      pair: incident.pairId,
      target: incident.targetId === null ? null : `${incident.pairId} → ${incident.targetId}`,
    };
  }

  #release(): void {
    this.#timer = null;
    const held = this.#held.flatMap((key) => {
      const incident = this.#incidents.get(key);
      return incident && incident.notified === null ? [incident] : [];
    });
    this.#held = [];
    const enabled = this.#enabled;
    for (const incident of held) incident.notified = enabled;
    if (!enabled || held.length === 0) return;
    if (held.length >= this.#burstThreshold) {
      const labels = held.map((incident) => this.#label(incident).target ?? this.#label(incident).pair);
      const shown = labels.slice(0, SUMMARY_LIST);
      const more = labels.length - shown.length;
      const first = held[0] as Incident;
      this.#show({
        kind: 'summary',
        title: `${held.length} targets failing`,
        body: `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
        pairId: first.pairId,
        targetId: first.targetId,
        quiet: false,
      });
      return;
    }
    for (const incident of held) {
      const { pair, target } = this.#label(incident);
      this.#show({
        kind: 'failure',
        title: `Sync failing: ${pair}`,
        body: target ? `${target}: ${incident.message}` : incident.message,
        pairId: incident.pairId,
        targetId: incident.targetId,
        quiet: false,
      });
    }
  }
}
