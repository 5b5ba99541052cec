// A small typed listener registry shared by both transports: one set of listeners per API event name.
import type { ApiEventName, ApiEvents } from '../../../../electron/shared/api.ts';

type AnyListener = (payload: never) => void;

export class EventHub {
  readonly #listeners = new Map<ApiEventName, Set<AnyListener>>();

  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as AnyListener);
    return () => set.delete(listener as AnyListener);
  }

  /** Delivers an event that arrived untyped from the wire; one failing listener does not stop the others. */
  emit(event: string, payload: unknown): void {
    const set = this.#listeners.get(event as ApiEventName);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: unknown) => void)(payload);
      } catch (error) {
        console.error(`rsync-live: a listener for "${event}" failed`, error);
      }
    }
  }
}
