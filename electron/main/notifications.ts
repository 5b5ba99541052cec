// Desktop notifications: feeds the AppService's failure, recovered and state events to the NotificationPolicy
// (which decides) and shows its decisions with Electron's Notification. Clicking one shows the window on the
// pair it is about (MainWindow.focusPair sends `focusPair` on the event channel).
import { Notification } from 'electron';
import type { AppService } from '../service/app-service.js';
import { systemClock } from '../engine/clock.js';
import { NotificationPolicy, type NotificationDecision } from './notification-policy.js';

export interface DesktopNotificationsOptions {
  service: AppService;
  /** Shows the window, on this pair when there is one. */
  open: (pairId: string | null) => void;
  iconPath: string;
  /** settings.notifications at start-up. */
  enabled: boolean;
}

/** Shown notifications are kept referenced until closed, or their click handler can be garbage-collected. */
const MAX_LIVE = 20;

export class DesktopNotifications {
  readonly policy: NotificationPolicy;
  readonly #options: DesktopNotificationsOptions;
  readonly #live = new Set<Notification>();
  readonly #unsubscribe: () => void;

  constructor(options: DesktopNotificationsOptions) {
    this.#options = options;
    this.policy = new NotificationPolicy({
      clock: systemClock,
      enabled: options.enabled,
      show: (decision) => this.#show(decision),
    });
    const events = options.service.events;
    const onFailure = (info: Parameters<NotificationPolicy['failure']>[0]): void => this.policy.failure(info);
    const onRecovered = (info: Parameters<NotificationPolicy['recovered']>[0]): void =>
      this.policy.recovered(info);
    const onState = (state: Parameters<NotificationPolicy['updateState']>[0]): void =>
      this.policy.updateState(state);
    events.on('failure', onFailure);
    events.on('recovered', onRecovered);
    events.on('state', onState);
    this.#unsubscribe = () => {
      events.off('failure', onFailure);
      events.off('recovered', onRecovered);
      events.off('state', onState);
    };
  }

  setEnabled(enabled: boolean): void {
    this.policy.setEnabled(enabled);
  }

  /** A one-off notice that is not about a sync incident (e.g. passwords kept in memory only). */
  notice(title: string, body: string): void {
    this.#display({ title, body, quiet: false }, null);
  }

  dispose(): void {
    this.#unsubscribe();
    this.policy.dispose();
    for (const notification of this.#live) notification.close();
    this.#live.clear();
  }

  #show(decision: NotificationDecision): void {
    this.#display(decision, decision.pairId);
  }

  #display(content: { title: string; body: string; quiet: boolean }, pairId: string | null): void {
    if (!Notification.isSupported()) return;
    const notification = new Notification({
      title: content.title,
      body: content.body,
      icon: this.#options.iconPath,
      silent: content.quiet,
      urgency: content.quiet ? 'low' : 'normal',
    });
    notification.on('click', () => this.#options.open(pairId));
    notification.on('close', () => this.#live.delete(notification));
    this.#live.add(notification);
    if (this.#live.size > MAX_LIVE) {
      const oldest = this.#live.values().next().value;
      if (oldest) this.#live.delete(oldest);
    }
    notification.show();
  }
}
