// When to notify, free of Electron: fed the app's `failure` and `recovered` events and its state snapshots,
// decides which desktop notifications to show. One notification per incident per target (retries stay
// silent; a target notifies again only after it recovered and failed anew), one summary when several targets
// start failing together, a quiet "back in sync" for a target that had notified, nothing when notifications
// are off. New incidents are held for `windowMs` before they are announced, so a burst becomes one summary and
// a target that recovers within the window never notifies. A tripped delete guard (a `failure` of kind
// 'delete-guard' with targetId null; `recovered` with targetId null when the user confirms) is an incident of
// its own: one "Deletions paused" notification per trip, never folded into a "targets failing" summary, and
// it silences the folder failure that usually comes with it (the folder is gone). Takes an injected clock;
// notifications.ts shows the decisions. Must not import electron.
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
  /** The pair's delete guard tripped (not a target or folder failure). */
  guard: boolean;
  message: string;
  /** Announced: null while held in the window, then whether a notification was actually shown. */
  notified: boolean | null;
}

export const DEFAULT_WINDOW_MS = 5_000;
export const DEFAULT_BURST_THRESHOLD = 3;
const SUMMARY_LIST = 3;

function incidentKey(pairId: string, targetId: string | null, guard = false): string {
  return guard ? `${pairId}\u0000\u0000delete-guard` : `${pairId}\u0000${targetId ?? ''}`;
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
    const guard = info.error.kind === 'delete-guard';
    const key = incidentKey(info.pairId, info.targetId, guard);
    const known = this.#incidents.get(key);
    if (known) {
      known.message = info.error.message;
      return;
    }
    this.#incidents.set(key, {
      pairId: info.pairId,
      targetId: info.targetId,
      guard,
      message: info.error.message,
      notified: null,
    });
    this.#held.push(key);
    this.#timer ??= this.#clock.setTimeout(() => this.#release(), this.#windowMs);
  }

  recovered(info: ApiEvents['recovered']): void {
    // A pair-level recovery is the user confirming the held deletions (the engine sends no other).
    const guardKey = incidentKey(info.pairId, null, true);
    const key =
      info.targetId === null && this.#incidents.has(guardKey)
        ? guardKey
        : incidentKey(info.pairId, info.targetId);
    const incident = this.#incidents.get(key);
    if (!incident) return;
    this.#incidents.delete(key);
    if (incident.notified === null) {
      this.#held = this.#held.filter((held) => held !== key);
      return;
    }
    if (incident.notified && this.#enabled) {
      const { pair, target } = this.#label(incident);
      if (incident.guard) {
        this.#show({
          kind: 'recovered',
          title: `Deletions confirmed: ${pair}`,
          body: 'The held deletions are being applied to every target.',
          pairId: incident.pairId,
          targetId: null,
          quiet: true,
        });
        return;
      }
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
      labels.set(incidentKey(pair.id, null, true), { pair: pair.name, target: null });
      if (pair.watcher.error) failing.add(incidentKey(pair.id, null));
      if (pair.deleteGuard) failing.add(incidentKey(pair.id, null, true));
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
    const known = this.#labels.get(incidentKey(incident.pairId, incident.targetId, incident.guard));
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
    const guards = held.filter((incident) => incident.guard);
    // The folder failure of a pair whose guard tripped says the same less usefully: tracked, never shown.
    const guarded = new Set(
      [...this.#incidents.values()].filter((incident) => incident.guard).map((incident) => incident.pairId),
    );
    const silenced = (incident: Incident): boolean =>
      !incident.guard && incident.targetId === null && guarded.has(incident.pairId);
    for (const incident of held) if (silenced(incident)) incident.notified = false;
    this.#announceGuards(guards);
    this.#announceFailures(held.filter((incident) => !incident.guard && !silenced(incident)));
  }

  /** One "Deletions paused" per tripped guard; a burst of them (a disk with several folders) as one. */
  #announceGuards(guards: Incident[]): void {
    if (guards.length === 0) return;
    if (guards.length >= this.#burstThreshold) {
      const names = guards.map((incident) => this.#label(incident).pair);
      const shown = names.slice(0, SUMMARY_LIST);
      const more = names.length - shown.length;
      const first = guards[0] as Incident;
      this.#show({
        kind: 'summary',
        title: `Deletions paused for ${guards.length} folders`,
        body: `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}: nothing is deleted on the targets until you confirm`,
        pairId: first.pairId,
        targetId: null,
        quiet: false,
      });
      return;
    }
    for (const incident of guards) {
      this.#show({
        kind: 'failure',
        title: `Deletions paused: ${this.#label(incident).pair}`,
        body: incident.message,
        pairId: incident.pairId,
        targetId: null,
        quiet: false,
      });
    }
  }

  #announceFailures(held: Incident[]): void {
    if (held.length === 0) return;
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
