// Stopping cleanly: the first SIGINT or SIGTERM asks the command to stop, a second one ends it at once, and
// every stop waits at most STOP_GRACE_MS (10 s) for transfers in flight. The listeners stay
// installed for the whole run: execa's child clean-up (signal-exit) re-raises a signal that no other listener
// handles, and a `once` listener is already gone by the time it looks, which killed the process mid-stop
// whenever an rsync child was running.
export function untilStopSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    let received = false;
    const on = (signal: 'SIGINT' | 'SIGTERM'): void => {
      if (received) {
        process.stderr.write(`received ${signal} again: exiting without waiting\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', () => on('SIGINT'));
    process.on('SIGTERM', () => on('SIGTERM'));
  });
}

/** How long a stop waits for transfers in flight before the command exits anyway. */
export const STOP_GRACE_MS = 10_000;

/** Runs `stop` and resolves when it is done or after STOP_GRACE_MS, whichever comes first. */
export async function stopWithin(stop: () => Promise<unknown>, ms = STOP_GRACE_MS): Promise<void> {
  await Promise.race([stop(), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
