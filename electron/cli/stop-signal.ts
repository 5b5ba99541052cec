// The first SIGINT or SIGTERM asks the command to stop cleanly; a second one ends it at once. The listeners stay
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
