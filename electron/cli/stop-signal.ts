// Stopping cleanly: the first SIGINT or SIGTERM asks the command to stop, a second one ends it at once, and
// every stop waits at most STOP_GRACE_MS (10 s) for transfers in flight. The listeners stay
// installed for the whole run: execa's child clean-up (signal-exit) re-raises a signal that no other listener
// handles, and a `once` listener is already gone by the time it looks, which killed the process mid-stop
// whenever an rsync child was running.
import { FULL_HEAP_ENV } from './heap-flags.js';

/**
 * In a child the command relaunched (heap-flags.ts), which shares the command's process group: a signal sent
 * to the whole group (a terminal's Ctrl-C, systemd's stop) arrives once directly and once relayed by the
 * parent, so the same signal again within this time is the same request.
 */
export const RELAYED_REPEAT_MS = 1_000;

/** This process is the relaunched child, connected to the command that started it. */
function isRelaunchedChild(): boolean {
  return process.env[FULL_HEAP_ENV] === '1' && typeof process.send === 'function';
}

export function untilStopSignal(relayed = isRelaunchedChild()): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    let receivedAt: number | null = null;
    const on = (signal: 'SIGINT' | 'SIGTERM'): void => {
      if (receivedAt !== null) {
        if (relayed && Date.now() - receivedAt < RELAYED_REPEAT_MS) return;
        process.stderr.write(`received ${signal} again: exiting without waiting\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      receivedAt = Date.now();
      resolve(signal);
    };
    process.on('SIGINT', () => on('SIGINT'));
    process.on('SIGTERM', () => on('SIGTERM'));
    if (relayed) {
      // The channel to the parent must not keep this process alive; its end means the parent is gone (killed
      // with SIGKILL, which it cannot relay): stop as if told to.
      process.channel?.unref();
      process.once('disconnect', () => {
        if (receivedAt === null) on('SIGTERM');
      });
    }
  });
}

/** How long a stop waits for transfers in flight before the command exits anyway. */
export const STOP_GRACE_MS = 10_000;

/** Runs `stop` and resolves when it is done or after STOP_GRACE_MS, whichever comes first. */
export async function stopWithin(stop: () => Promise<unknown>, ms = STOP_GRACE_MS): Promise<void> {
  await Promise.race([stop(), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
