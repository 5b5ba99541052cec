// One plugin's work queue: items keyed (the newest item for a key replaces a waiting one), bounded in length
// (overflow is dropped and counted), run with bounded concurrency. A retryable failure pauses the whole
// queue with exponential backoff (the endpoint is down, not the item) and puts the item back at the front;
// after `retries` attempts it is dropped and reported. Never throws into its caller.
import { backoffDelay, type BackoffOptions } from '../backoff.js';

export type Outcome = { ok: true } | { ok: false; retry: boolean; message: string };

export interface WorkQueueOptions<T> {
  concurrency: number;
  limit: number;
  retries: number;
  backoff?: BackoffOptions;
  key: (item: T) => string;
  run: (item: T, signal: AbortSignal) => Promise<Outcome>;
  /** An item given up: after its attempts, or a failure that retrying cannot fix. */
  onDrop: (item: T, message: string, attempts: number) => void;
  /** Items refused because the queue was full (called with the count since the last call). */
  onOverflow: (dropped: number) => void;
  /** The queue works again after a pause. */
  onResume?: () => void;
}

interface Entry<T> {
  item: T;
  attempts: number;
}

export class WorkQueue<T> {
  readonly #options: WorkQueueOptions<T>;
  readonly #backoff: BackoffOptions;
  readonly #waiting = new Map<string, Entry<T>>();
  readonly #retryFirst: Entry<T>[] = [];
  readonly #abort = new AbortController();
  #active = 0;
  #pausedUntil: NodeJS.Timeout | null = null;
  #failures = 0;
  #overflow = 0;
  #closed = false;
  #drainWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions<T>) {
    this.#options = options;
    this.#backoff = options.backoff ?? { baseMs: 500, capMs: 30_000 };
  }

  get size(): number {
    return this.#waiting.size + this.#retryFirst.length;
  }

  get active(): number {
    return this.#active;
  }

  push(item: T): boolean {
    if (this.#closed) return false;
    const key = this.#options.key(item);
    const existing = this.#waiting.get(key);
    if (existing) {
      this.#waiting.delete(key);
      this.#waiting.set(key, { item, attempts: 0 });
    } else if (this.size >= this.#options.limit) {
      this.#overflow++;
      if (this.#overflow === 1) queueMicrotask(() => this.#reportOverflow());
      return false;
    } else {
      this.#waiting.set(key, { item, attempts: 0 });
    }
    this.#pump();
    return true;
  }

  /** Resolves when nothing waits or runs (a paused queue with items is not drained). */
  whenDrained(): Promise<void> {
    if (this.#active === 0 && this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Stops taking items; waits up to `graceMs` for the queue to drain, then aborts what still runs. */
  async close(graceMs = 0): Promise<number> {
    if (graceMs > 0 && (this.#active > 0 || this.size > 0)) {
      const timer: { handle?: NodeJS.Timeout } = {};
      await Promise.race([
        this.whenDrained(),
        new Promise((resolve) => (timer.handle = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer.handle);
    }
    this.#closed = true;
    if (this.#pausedUntil) clearTimeout(this.#pausedUntil);
    this.#pausedUntil = null;
    const left = this.size;
    this.#waiting.clear();
    this.#retryFirst.length = 0;
    this.#abort.abort();
    this.#settle();
    return left;
  }

  #reportOverflow(): void {
    const dropped = this.#overflow;
    this.#overflow = 0;
    if (dropped > 0) this.#options.onOverflow(dropped);
  }

  #next(): Entry<T> | undefined {
    const retry = this.#retryFirst.shift();
    if (retry) return retry;
    const first = this.#waiting.entries().next();
    if (first.done) return undefined;
    this.#waiting.delete(first.value[0]);
    return first.value[1];
  }

  #pump(): void {
    while (!this.#closed && this.#pausedUntil === null && this.#active < this.#options.concurrency) {
      const entry = this.#next();
      if (!entry) break;
      this.#active++;
      void this.#runOne(entry).finally(() => {
        this.#active--;
        this.#pump();
        this.#settle();
      });
    }
    this.#settle();
  }

  async #runOne(entry: Entry<T>): Promise<void> {
    entry.attempts++;
    let outcome: Outcome;
    try {
      outcome = await this.#options.run(entry.item, this.#abort.signal);
    } catch (error) {
      outcome = { ok: false, retry: false, message: (error as Error).message };
    }
    if (this.#closed) return;
    if (outcome.ok) {
      if (this.#failures > 0) {
        this.#failures = 0;
        this.#options.onResume?.();
      }
      return;
    }
    if (!outcome.retry || entry.attempts > this.#options.retries) {
      this.#options.onDrop(entry.item, outcome.message, entry.attempts);
      return;
    }
    this.#failures++;
    this.#retryFirst.unshift(entry);
    if (this.#pausedUntil === null) {
      this.#pausedUntil = setTimeout(
        () => {
          this.#pausedUntil = null;
          this.#pump();
        },
        backoffDelay(this.#failures, this.#backoff),
      );
      this.#pausedUntil.unref();
    }
  }

  #settle(): void {
    if (this.#drainWaiters.length === 0) return;
    if (this.#closed || (this.#active === 0 && this.size === 0)) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
