// Two pairs that sync into the same place, or one into a folder inside the other's target, delete each
// other's files (each mirrors its own folder there). This finds such overlaps before a pair starts, by
// comparing targets as rsync sees them: the same daemon module (host, port, module) or ssh host, and one
// path equal to or below the other. Pure.
import path from 'node:path';
import type { EnginePairConfig } from './pair-types.js';
import { parseTarget } from './rsync/target.js';

interface Place {
  where: string;
  segments: string[];
}

function place(url: string): Place | null {
  try {
    const target = parseTarget(url);
    const split = (p: string): string[] => p.split('/').filter((s) => s !== '' && s !== '.');
    switch (target.kind) {
      case 'daemon':
        return {
          where: `rsync://${target.host.toLowerCase()}:${target.port ?? 873}/${target.module}`,
          segments: split(target.path),
        };
      case 'ssh':
        return {
          where: `ssh://${target.user ?? ''}@${target.host.toLowerCase()}`,
          segments: split(target.path),
        };
      case 'local':
        return { where: 'local', segments: split(path.resolve(target.path)) };
    }
  } catch {
    return null;
  }
}

/** -1: a is inside b, 0: the same place, 1: b is inside a, null: apart. */
function relation(a: Place, b: Place): -1 | 0 | 1 | null {
  if (a.where !== b.where) return null;
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) if (a.segments[i] !== b.segments[i]) return null;
  return a.segments.length === b.segments.length ? 0 : a.segments.length > b.segments.length ? -1 : 1;
}

/** Why `pair` cannot run beside `others` (or beside itself), or null when its targets overlap none. */
export function findOverlap(pair: EnginePairConfig, others: readonly EnginePairConfig[]): string | null {
  const mine = pair.targets.map((t) => ({ url: t.url, place: place(t.url) }));
  const why = (url: string, rel: -1 | 0 | 1, otherUrl: string, owner: string): string => {
    const how = rel === 0 ? 'is the same place as' : rel === -1 ? 'is inside' : 'contains';
    return (
      `pair "${pair.id}": target ${url} ${how} ${owner} target ${otherUrl}; the two would delete each other's ` +
      'files. Give each pair its own sub-path (e.g. add /HOST-FOLDER to the target)'
    );
  };
  for (let i = 0; i < mine.length; i++) {
    const a = mine[i];
    if (!a?.place) continue;
    for (let j = i + 1; j < mine.length; j++) {
      const b = mine[j];
      const rel = b?.place ? relation(a.place, b.place) : null;
      if (b && rel !== null) return why(a.url, rel, b.url, 'its own');
    }
    for (const other of others) {
      if (other.id === pair.id) continue;
      for (const target of other.targets) {
        const b = place(target.url);
        const rel = b ? relation(a.place, b) : null;
        if (rel !== null) return why(a.url, rel, target.url, `pair "${other.id}"'s`);
      }
    }
  }
  return null;
}
