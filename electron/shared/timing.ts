// Default timings of the change coalescer, shared by the config schema, the CLI's help and the window's form
// (a module without dependencies, so the renderer can import it without pulling in zod).

/** Quiet period: a path is sent once it has had no event for this long (longer for files still being written). */
export const DEFAULT_DELAY_MS = 5;
/** A path that keeps changing (a log appended without pause) is sent after this long anyway. */
export const DEFAULT_MAX_DELAY_MS = 10_000;
