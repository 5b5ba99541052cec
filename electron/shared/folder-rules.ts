// What a pair's folder may be, before anything looks at the disk: an absolute path, not "/" and not inside a
// system tree (/proc, /sys, /dev, /run), with "~" meaning the user's home. The schema (config files, the API,
// the CLI) applies `folderProblem`; the app and the CLI expand "~" first with `expandHome`. Whether the folder
// exists and is a directory is checked on disk by electron/service/pair-validation.ts. Browser-safe and pure.

/** Trees of the running system that are not folders of files to back up. */
export const SYSTEM_TREES = ['/proc', '/sys', '/dev', '/run'] as const;

/** "~" and "~/x" mean the home directory; anything else is returned unchanged. */
export function expandHome(folder: string, home: string): string {
  const text = folder.trim();
  if (text === '~') return home;
  if (text.startsWith('~/')) return `${home.replace(/\/+$/, '')}/${text.slice(2)}`;
  return folder;
}

/** Why `folder` cannot be a pair's folder, or null. Messages start with what is wrong and end with what to do. */
export function folderProblem(folder: string): string | null {
  if (folder.includes('\uFFFD')) {
    return (
      `folder ${folder} has bytes that are not valid UTF-8 in its name (shown as \uFFFD): command lines and ` +
      'config files reach rsync-live as text, so such a name cannot be given exactly. Rename the folder, or ' +
      'make a symlink with a UTF-8 name to it and give that (names inside the folder may be any bytes)'
    );
  }
  if (folder.startsWith('~'))
    return `folder ${folder} starts with "~": write the full path (e.g. /home/you/${folder.replace(/^~[^/]*\/?/, '')})`;
  if (!folder.startsWith('/'))
    return `folder ${folder} is not an absolute path: give the full path, starting with "/"`;
  const clean = folder.replace(/\/+$/, '') || '/';
  if (clean === '/')
    return 'folder / is the whole system: pick the folder you want mirrored, e.g. your home or a data directory';
  if (clean.split('/').includes('..') || clean.split('/').includes('.'))
    return `folder ${folder} has "." or ".." parts: give the path without them`;
  const tree = SYSTEM_TREES.find((root) => clean === root || clean.startsWith(`${root}/`));
  if (tree)
    return `folder ${folder} is inside ${tree}, a tree of the running system, not files to back up: pick a folder of your own`;
  return null;
}

function sameKey(folder: string, url: string): string {
  return `${folder.replace(/\/+$/, '') || '/'}\0${url.trim().replace(/\/+$/, '')}`;
}

/**
 * Targets that another pair (or the same pair) already mirrors from the same folder: two engines on one
 * folder and target would fight over it. Each hit names the pair and target index that came second.
 */
export function duplicateTargets(
  pairs: readonly { id: string; folder: string; targets: readonly { url: string }[] }[],
): { pairIndex: number; targetIndex: number; message: string }[] {
  const seen = new Map<string, string>();
  const hits: { pairIndex: number; targetIndex: number; message: string }[] = [];
  for (const [pairIndex, pair] of pairs.entries()) {
    for (const [targetIndex, target] of pair.targets.entries()) {
      const key = sameKey(pair.folder, target.url);
      const first = seen.get(key);
      if (first !== undefined) {
        hits.push({
          pairIndex,
          targetIndex,
          message: `${pair.folder} is already mirrored to ${target.url} by ${first === pair.id ? 'this pair' : `pair "${first}"`}: edit that pair instead of adding the same folder and target again`,
        });
      } else seen.set(key, pair.id);
    }
  }
  return hits;
}
