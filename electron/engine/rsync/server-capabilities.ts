// What an rsync server accepts, and what the tool does where an older one lacks an option: the data and the
// words for it. Pure; the probing lives in capabilities.ts.

export interface ServerCapabilities {
  /** `--modify-window=-1` (nanosecond mtime comparison; rsync 3.1.3 and newer). */
  modifyWindowNs: boolean;
  /** `--mkpath` (rsync 3.2.3 and newer). */
  mkpath: boolean;
  /** One `--delete-missing-args` list may hold a deleted directory and entries below it (3.2.3 and newer). */
  nestedDeletes: boolean;
  /** The server's rsync release as far as the probes tell, e.g. "3.1.3 to 3.2.2". */
  version: string;
}

/** What a current server (and the local client, for local targets) accepts. */
export const FULL_CAPABILITIES: ServerCapabilities = Object.freeze({
  modifyWindowNs: true,
  mkpath: true,
  nestedDeletes: true,
  version: '3.2.3 or newer',
});

/** The release range the capabilities point to. */
export function versionLabel(caps: Omit<ServerCapabilities, 'version'>): string {
  if (caps.mkpath && caps.nestedDeletes) return '3.2.3 or newer';
  if (caps.modifyWindowNs) return '3.1.3 to 3.2.2';
  return '3.1.2 or older';
}

/** An option (or behaviour) an older server lacks: who needs what, and what the tool does instead. */
export interface Fallback {
  option: string;
  needs: string;
  instead: string;
}

export const FALLBACKS: Record<'modifyWindowNs' | 'mkpath' | 'nestedDeletes', Fallback> = {
  modifyWindowNs: {
    option: '--modify-window=-1',
    needs: 'rsync 3.1.3',
    instead:
      'sends --modify-window=0; listed changes are compared by content (--ignore-times) and a full sync re-sends the files changed in the seconds before it by content',
  },
  mkpath: {
    option: '--mkpath',
    needs: 'rsync 3.2.3',
    instead: 'creates a missing sub-path with a plain directory push of its parents first',
  },
  nestedDeletes: {
    option: 'a deleted directory and entries below it in one --delete-missing-args list',
    needs: 'rsync 3.2.3',
    instead: 'lists only the top-most deleted directory (its --force deletion covers what was below it)',
  },
};

/** The options this server lacks, each with what the tool does instead. Empty for a current server. */
export function fallbacks(caps: ServerCapabilities): Fallback[] {
  return (Object.keys(FALLBACKS) as (keyof typeof FALLBACKS)[])
    .filter((key) => !caps[key])
    .map((key) => FALLBACKS[key]);
}

/** One line for people: "rsync 3.1.x: sub-paths created without --mkpath; ...". */
export function describeCapabilities(caps: ServerCapabilities): string {
  const missing = fallbacks(caps);
  if (missing.length === 0) return `rsync ${caps.version}: every option rsync-live uses is supported`;
  const notes: string[] = [];
  if (!caps.mkpath) notes.push('sub-paths created without --mkpath');
  if (!caps.modifyWindowNs)
    notes.push('mtimes compared to the second (--modify-window=0), same-second rewrites compared by content');
  if (!caps.nestedDeletes) notes.push('deleted directories listed without the entries below them');
  return `rsync ${caps.version}: ${notes.join('; ')}`;
}

/** "host::module refuses --mkpath (needs rsync 3.2.3 or newer): rsync-live creates ... instead". */
export function refusalMessage(label: string, fallback: Fallback): string {
  return `${label} does not support ${fallback.option} (needs ${fallback.needs} or newer): rsync-live ${fallback.instead}`;
}
