// The pair configuration schema: one source of truth for the JSON config file (`rsync-live run --config`),
// the desktop settings and the renderer's forms. Browser-safe: no node:, no electron.
import { Cron } from 'croner';
import { DEFAULT_DELAY_MS, DEFAULT_MAX_DELAY_MS } from './timing.js';
import { checkRsyncOption } from './rsync-option-policy.js';
import { folderProblem } from './folder-rules.js';
import { splitUrlPassword, URL_PASSWORD_MESSAGE } from './url-password.js';
import { z } from 'zod';

export const DELETION_POLICIES = ['mirror', 'keep', 'versions'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export const WATCHER_BACKENDS = ['inotify', 'chokidar'] as const;
export type WatcherBackend = (typeof WATCHER_BACKENDS)[number];

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"');

export const rsyncOptionsSchema = z.strictObject({
  /** Extra rsync options appended to every run (sersync's commonParams), e.g. ["--numeric-ids"]. */
  extraArgs: z
    .array(
      z.string().superRefine((option, ctx) => {
        const why = checkRsyncOption(option);
        if (why !== null) ctx.addIssue({ code: 'custom', message: `${option} is refused: ${why}` });
      }),
    )
    .default([]),
  /** --timeout in seconds (I/O timeout); 0 disables. */
  timeoutSec: z.number().int().min(0).max(86_400).default(60),
  /** --contimeout in seconds (daemon targets only); 0 disables. */
  contimeoutSec: z.number().int().min(0).max(3_600).default(15),
  /** --bwlimit in KiB/s; 0 means unlimited. */
  bwlimitKiB: z.number().int().min(0).default(0),
});
export type RsyncOptions = z.infer<typeof rsyncOptionsSchema>;

export const targetSchema = z.strictObject({
  id: id.optional(),
  /** rsync://[user@]host[:port]/module[/path], [user@]host::module[/path], [user@]host:path, or /absolute/dir */
  url: z
    .string()
    .min(1, 'give a target')
    .refine((url) => splitUrlPassword(url).password === null, URL_PASSWORD_MESSAGE),
  /** A 0600 file holding the daemon password (rsync --password-file). */
  passwordFile: z.string().min(1).optional(),
  /** rsync processes in flight for this target. */
  concurrency: z
    .number()
    .int()
    .min(1, 'at least 1 rsync run per target')
    .max(16, 'at most 16 rsync runs per target')
    .default(2),
  rsync: rsyncOptionsSchema.partial().optional(),
});
export type TargetConfig = z.infer<typeof targetSchema>;

export const excludesSchema = z.strictObject({
  /** Regular expressions matched against the whole path relative to the folder (sersync style). */
  regex: z.array(z.string()).default([]),
  /** Globs: without "/" they match a name at any depth, with "/" the relative path ("**" spans directories). */
  glob: z.array(z.string()).default([]),
  /** Skip editor and office temporary files (4913, *.swp, *~, .#*, .~lock.*#). */
  defaultTemporary: z.boolean().default(true),
  /**
   * How `regex` sees a path: "relative" ("sub/name"), or "sersync" as sersync 2.5.4 tested it: "name" at the
   * top, "/sub/name" deeper, and folders also as "sub/dir/" (its start-up form). Absent: "relative".
   */
  regexForm: z.enum(['relative', 'sersync']).optional(),
});
export type ExcludesConfig = z.infer<typeof excludesSchema>;

function isValidCron(expression: string): boolean {
  try {
    new Cron(expression, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

export const fullSyncSchema = z.strictObject({
  /** One full reconcile per target when the pair starts. */
  onStart: z.boolean().default(true),
  /** Cron schedule (5 or 6 fields) for a periodic full sync, or null for none. */
  schedule: z
    .string()
    .refine(
      isValidCron,
      'not a valid cron schedule: use 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "0 3 * * *"',
    )
    .nullable()
    .default(null),
  /** Extra exclude globs for the scheduled full sync only (sersync's crontabfilter). */
  excludes: z.array(z.string()).default([]),
});

/**
 * The id of a target given without one: its position, "t1" for the first. Assigned once, at parse time
 * (targetListSchema); also used to read raw config files written before ids were stored.
 */
export function defaultTargetId(index: number): string {
  return `t${index + 1}`;
}

/**
 * A pair's target list: at least one, each with its id assigned here, once (`t1`, `t2`, … by position when
 * none is given), and no id twice. Everything after parsing (engine, secrets keyed by id, views) uses `id`.
 */
export function targetListSchema<T extends z.ZodType<{ id?: string | undefined }>>(item: T) {
  return z
    .array(item)
    .min(1, 'a pair needs at least one target')
    .transform((targets) =>
      targets.map((target, index) => ({ ...target, id: target.id ?? defaultTargetId(index) })),
    )
    .superRefine((targets, ctx) => {
      const seen = new Set<string>();
      for (const [index, target] of targets.entries()) {
        if (seen.has(target.id))
          ctx.addIssue({
            code: 'custom',
            path: [index, 'id'],
            message: `duplicate target id "${target.id}"`,
          });
        seen.add(target.id);
      }
    });
}

export const pairSchema = z.strictObject({
  id,
  name: z.string().max(200).optional(),
  /** Absolute path of the local folder to watch (not "/", not a system tree such as /proc). */
  folder: z
    .string()
    .min(1, 'give a folder')
    .superRefine((folder, ctx) => {
      const problem = folderProblem(folder);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  targets: targetListSchema(targetSchema),
  deletion: z.enum(DELETION_POLICIES).default('mirror'),
  excludes: excludesSchema.default({ regex: [], glob: [], defaultTemporary: true }),
  /** Quiet period before a changed path is sent, in ms (longer for a file still being written). */
  delayMs: z
    .number()
    .int()
    .min(0, 'must be 0 or more ms')
    .max(600_000, 'must be at most 600000 ms (10 minutes)')
    .default(DEFAULT_DELAY_MS),
  /** Longest a changed path may wait while events for it keep coming, in ms. */
  maxDelayMs: z
    .number()
    .int()
    .min(1, 'must be at least 1 ms')
    .max(3_600_000, 'must be at most 3600000 ms (1 hour)')
    .default(DEFAULT_MAX_DELAY_MS),
  fullSync: fullSyncSchema.default({ onStart: true, schedule: null, excludes: [] }),
  rsync: rsyncOptionsSchema.default({ extraArgs: [], timeoutSec: 60, contimeoutSec: 15, bwlimitKiB: 0 }),
  watcher: z.enum(WATCHER_BACKENDS).default('inotify'),
  /**
   * Pause deletion propagation and ask the user when the folder disappears, is replaced or empty, or when one
   * batch would delete at least `minEntries` entries and more than `maxShare` of the folder's entries.
   */
  deleteGuard: z
    .strictObject({
      enabled: z.boolean().default(true),
      maxShare: z.number().min(0).max(1).default(0.5),
      minEntries: z.number().int().min(1).default(1000),
    })
    .default({ enabled: true, maxShare: 0.5, minEntries: 1000 }),
  paused: z.boolean().default(false),
});
export type PairConfig = z.infer<typeof pairSchema>;
/** A target after parsing: its id is always set. */
export type ParsedTargetConfig = PairConfig['targets'][number];
export type PairConfigInput = z.input<typeof pairSchema>;

export const CONFIG_VERSION = 1;

export const configFileSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION),
  pairs: z.array(pairSchema),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Formats zod issues as "pairs[0].targets[1].url: message" lines. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((part, index) =>
          typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
        )
        .join('');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}
