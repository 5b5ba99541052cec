// Which extra rsync options a pair may carry (`--rsync-option`, the config's `rsync.extraArgs`, sersync's
// commonParams): an allow-list of options that change how files travel or which attributes they keep, never
// what the source is or what the mirror means. `checkRsyncOption` answers why an option is refused, in words
// a user can act on; everything not listed is refused too. Browser-safe and pure.

/** Long options allowed without a value ("--name") or with one ("--name=value"). */
const ALLOWED_LONG = new Set([
  // transfer
  'compress',
  'compress-level',
  'compress-choice',
  'zc',
  'zl',
  'skip-compress',
  'whole-file',
  'no-whole-file',
  'checksum',
  'checksum-choice',
  'cc',
  'block-size',
  'partial',
  'partial-dir',
  'delay-updates',
  'temp-dir',
  'sparse',
  'preallocate',
  'fuzzy',
  'update',
  'size-only',
  'ignore-times',
  'modify-window',
  'max-size',
  'min-size',
  'sockopts',
  'address',
  'port',
  'blocking-io',
  'ipv4',
  'ipv6',
  'rsh',
  'protect-args',
  'secluded-args',
  'no-motd',
  'iconv',
  'no-iconv',
  '8-bit-output',
  // attributes
  'hard-links',
  'acls',
  'xattrs',
  'executability',
  'owner',
  'group',
  'perms',
  'times',
  'devices',
  'specials',
  'no-perms',
  'no-owner',
  'no-group',
  'no-D',
  'no-devices',
  'no-specials',
  'omit-dir-times',
  'omit-link-times',
  'atimes',
  'crtimes',
  'numeric-ids',
  'chmod',
  'chown',
  'usermap',
  'groupmap',
  'fake-super',
  'super',
  'no-super',
  // links and file systems
  'one-file-system',
  'copy-dirlinks',
  'keep-dirlinks',
  'copy-links',
  'copy-unsafe-links',
  'safe-links',
  'munge-links',
  // what is sent (like the pair's own excludes)
  'exclude',
  'include',
  'filter',
  'cvs-exclude',
  'prune-empty-dirs',
]);

/** Single-letter options allowed; the value of a letter in SHORT_WITH_VALUE is the rest of the word. */
const ALLOWED_SHORT = new Set('zWcSyuIHAXEogptDlOJUNxkKLCmsF468'.split(''));
const SHORT_WITH_VALUE: Record<string, string> = { e: 'rsh', B: 'block-size', T: 'temp-dir', f: 'filter' };

/** Options refused with a specific reason (the rest of the unlisted ones get the general one). */
const REFUSED: [RegExp, string][] = [
  [/^remove-source-files$/, 'it deletes your files from the folder after each transfer'],
  [
    /^(del|delete|delete-before|delete-during|delete-delay|delete-after|delete-excluded|delete-missing-args|ignore-missing-args|force|max-delete)$/,
    'rsync-live decides deletions itself: use the pair\'s deletion setting ("mirror", "keep" = --no-delete, "versions" = --versions)',
  ],
  [/^(dry-run|list-only)$/, 'nothing would ever be copied'],
  [
    /^(files-from|from0|exclude-from|include-from|relative|no-relative|no-implied-dirs|recursive|archive|no-recursive|mkpath)$/,
    "rsync-live passes its own file lists and directory options; use the pair's excludes for what to skip",
  ],
  [
    /^(backup|backup-dir|suffix|link-dest|copy-dest|compare-dest)$/,
    'it changes what the target holds beside the mirror: use "versions" (--versions) to keep old copies',
  ],
  [
    /^(append|append-verify|existing|ignore-existing|inplace|write-devices|copy-devices)$/,
    'the target would no longer be an exact copy of the folder',
  ],
  [
    /^(password-file)$/,
    "give the password file with --password-file (or the target's password file setting)",
  ],
  [
    /^(timeout|contimeout|bwlimit)$/,
    "it is a setting of its own: use the pair's timeout, connect timeout or bandwidth limit",
  ],
  [
    /^(verbose|quiet|human-readable|no-human-readable|itemize-changes|progress|stats|info|debug|out-format|log-format|msgs2stderr|no-msgs2stderr|stderr|outbuf)$/,
    "rsync-live reads rsync's output and sets its output options itself",
  ],
  [
    /^(remote-option|rsync-path|daemon|server|sender|config|dparam|version|help|only-write-batch|write-batch|read-batch|copy-as|log-file|log-file-format|early-input|stop-after|stop-at|temp-dir-dot)$/,
    'it changes how rsync itself runs, beyond what rsync-live can check',
  ],
];

const SHORT_REFUSED: Record<string, string> = {
  n: 'dry-run',
  r: 'recursive',
  a: 'archive',
  R: 'relative',
  b: 'backup',
  v: 'verbose',
  q: 'quiet',
  h: 'human-readable',
  i: 'itemize-changes',
  P: 'progress',
  '0': 'from0',
  M: 'remote-option',
  V: 'version',
};

const GENERAL =
  'it is not on the list of options rsync-live allows (options that change how files travel or which attributes they keep; see docs/cli.md)';

function refusedLong(name: string): string {
  for (const [pattern, why] of REFUSED) if (pattern.test(name)) return why;
  return GENERAL;
}

/** Why `option` (one argv word, e.g. "--numeric-ids", "--chmod=D755" or "-z") is refused, or null if allowed. */
export function checkRsyncOption(option: string, context: { deletion?: string } = {}): string | null {
  if (option.startsWith('--')) {
    const name = option.slice(2).split('=')[0] ?? '';
    const value = option.includes('=') ? option.slice(option.indexOf('=') + 1) : '';
    if (name === 'inplace' && context.deletion !== 'versions') return null;
    // A file of exclude rules (sersync's commonParams used it) only skips paths; "-" would take our stdin.
    if (name === 'exclude-from' && value !== '' && value !== '-') return null;
    if (name === 'exclude-from')
      return 'give the rules file: --exclude-from=/path/to/rules (rsync-live uses stdin itself)';
    if (ALLOWED_LONG.has(name)) return null;
    if (name === 'inplace')
      return 'with "versions" the replaced file must be moved aside, which --inplace prevents';
    return refusedLong(name);
  }
  if (!/^-[^-]/.test(option))
    return 'each extra argument must be one option starting with "-" (e.g. --numeric-ids)';
  const letters = option.slice(1);
  for (const letter of letters) {
    if (letter in SHORT_WITH_VALUE) return null;
    if (ALLOWED_SHORT.has(letter)) continue;
    const long = SHORT_REFUSED[letter];
    return long ? `-${letter} (--${long}): ${refusedLong(long)}` : GENERAL;
  }
  return null;
}

/** "--rsync-option=X is refused: why" lines for every refused option, in order (empty when all are allowed). */
export function refusedRsyncOptions(
  options: readonly string[],
  context: { deletion?: string } = {},
): { index: number; option: string; reason: string }[] {
  const refused: { index: number; option: string; reason: string }[] = [];
  for (const [index, option] of options.entries()) {
    const reason = checkRsyncOption(option, context);
    if (reason !== null) refused.push({ index, option, reason });
  }
  return refused;
}
