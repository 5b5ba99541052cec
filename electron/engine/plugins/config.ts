// The plugin configuration schema (command, socket, http, cdn): what runs for each changed path, where, and with
// which limits. Plain data validated with zod, so the desktop app can store it beside the pairs. No I/O here.
import { z } from 'zod';

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"');

/** Template placeholders understood by the http plugin (see template.ts). */
export const TEMPLATE_FIELDS = [
  'path',
  'abspath',
  'change',
  'type',
  'pair',
  'item',
  'from1',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
] as const;

function validRegex(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

const common = {
  id,
  /** Shown in logs; for imported sersync plugins, sersync's plugin name (command, socket, refreshCDN, http). */
  name: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  /** Only changes inside this absolute folder, with paths relative to it; null = every pair's folder. */
  folder: z.string().min(1).nullable().default(null),
  /** Only changes of these pairs (empty = all pairs). */
  pairs: z.array(z.string()).default([]),
  /** Regexes (full match on the relative path or one of its ancestors); empty = every path. */
  include: z.array(z.string().refine(validRegex, 'not a valid regular expression')).default([]),
  /**
   * What `include` is matched against: "relative" (the relative path or one of its ancestors) or "absolute"
   * (the whole absolute path, nothing else: sersync's command plugin filter).
   */
  includeOn: z.enum(['relative', 'absolute']).default('relative'),
  /**
   * Skip files (not directories) whose name starts with "." or ends with "~", and "4913": sersync never fired
   * its plugins for those names. The files are still synced.
   */
  skipDotFiles: z.boolean().default(false),
  changes: z
    .array(z.enum(['upsert', 'delete']))
    .min(1)
    .default(['upsert', 'delete']),
  /** Also run for directories. */
  directories: z.boolean().default(true),
  /** Paths waiting at most; beyond it new paths are dropped (and counted in the log). */
  queueLimit: z.number().int().min(1).max(1_000_000).default(10_000),
};

export const commandPluginSchema = z.strictObject({
  ...common,
  kind: z.literal('command'),
  /** argv before the path (sersync's prefix, split into words; never run through a shell). */
  command: z.array(z.string()).min(1, 'the command needs at least a program'),
  /** argv after the path (sersync's suffix). */
  suffix: z.array(z.string()).default([]),
  /** A non-zero exit is logged as info instead of a warning (sersync's ignoreError). */
  ignoreError: z.boolean().default(false),
  timeoutSec: z.number().int().min(1).max(86_400).default(300),
  concurrency: z.number().int().min(1).max(16).default(2),
});

export const socketPluginSchema = z.strictObject({
  ...common,
  kind: z.literal('socket'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  /**
   * path: the absolute path and "\n" on one persistent connection; json: one JSON object per line {pair, path,
   * abspath, change, dir}; sersync: one connection per path carrying the absolute path alone (no newline), then
   * closed, as sersync 2.5.4 sends it.
   */
  format: z.enum(['path', 'json', 'sersync']).default('path'),
  timeoutMs: z.number().int().min(100).max(600_000).default(5_000),
  retries: z.number().int().min(0).max(100).default(3),
  concurrency: z.number().int().min(1).max(1).default(1),
});

export const httpPluginSchema = z.strictObject({
  ...common,
  kind: z.literal('http'),
  method: z.enum(['GET', 'POST', 'HEAD', 'PUT']).default('GET'),
  /** Request URL template, e.g. "http://cdn.example/purge?url={item}" or "http://127.0.0.1:8080/hook". */
  url: z.string().min(1),
  /** Request URL template for directories (default: url). */
  dirUrl: z.string().min(1).optional(),
  /** Template for {item}: the URL a path is published at, e.g. "http://static.example/{path}". */
  item: z.string().min(1).optional(),
  /** Regex searched in the absolute path; {0}..{9} and {from1} come from it. A path it misses is skipped. */
  match: z.string().refine(validRegex, 'not a valid regular expression').optional(),
  body: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  retries: z.number().int().min(0).max(100).default(3),
  concurrency: z.number().int().min(1).max(16).default(4),
});

/**
 * sersync's refreshCDN: one `HEAD /index.jsp?user=…&pswd=…&ok=ok&urls=URL HTTP/1.0` request per changed path
 * to host:port (`&dirs=URL/` for a directory), URL = base + the path after the folder, or with `match`, base +
 * group 1 + what follows the match in the absolute path.
 */
export const cdnPluginSchema = z.strictObject({
  ...common,
  kind: z.literal('cdn'),
  /** sersync's cdninfo domainname: connected to, and sent as the Host header. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(80),
  username: z.string().default(''),
  passwd: z.string().default(''),
  /** sersync's sendurl base, e.g. "http://pic.example.com/cms". */
  base: z.string().min(1),
  /** sersync's regexurl match (used when regex="true"): searched in the absolute path. */
  match: z.string().refine(validRegex, 'not a valid regular expression').nullable().default(null),
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  retries: z.number().int().min(0).max(100).default(3),
  concurrency: z.number().int().min(1).max(16).default(4),
});

export const pluginSchema = z.discriminatedUnion('kind', [
  commandPluginSchema,
  socketPluginSchema,
  httpPluginSchema,
  cdnPluginSchema,
]);

export type CommandPluginConfig = z.infer<typeof commandPluginSchema>;
export type SocketPluginConfig = z.infer<typeof socketPluginSchema>;
export type HttpPluginConfig = z.infer<typeof httpPluginSchema>;
export type CdnPluginConfig = z.infer<typeof cdnPluginSchema>;
export type PluginConfig = z.infer<typeof pluginSchema>;
export type PluginConfigInput = z.input<typeof pluginSchema>;
