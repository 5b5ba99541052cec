// One user action at a time in a component (Sync now, Keep them, Confirm deletions…): busy while it runs, so
// the buttons can be disabled, and the message of its failure for the component to show.

export class ActionRunner {
  busy = $state(false);
  error = $state<string | null>(null);

  /** Runs `action`; its failure's message goes to `error`, which the next run clears. */
  async run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await action();
    } catch (problem) {
      this.error = (problem as Error).message;
    } finally {
      this.busy = false;
    }
  }
}
