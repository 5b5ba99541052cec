// A shared ticking "now" for relative times ("12 s ago"), updated every few seconds while the page is open.

class Clock {
  #now = $state(Date.now());

  constructor(intervalMs: number) {
    setInterval(() => (this.#now = Date.now()), intervalMs);
  }

  get now(): number {
    return this.#now;
  }
}

export const clock = new Clock(1_000);
