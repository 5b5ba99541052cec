// The one check a pair passes before it is saved or run, beyond the schema (electron/shared/config.ts, which
// already refuses relative folders, "/", system trees, passwords in URLs and refused rsync options): the folder
// exists and is a directory, every target parses, the options fit the deletion policy, and no other pair
// already mirrors the same folder to the same target. Used by AppService.savePair (the UI and the API) and by
// the CLI's watch and run. Answers field-level issues ("folder", "targets.1.url") so a form can show each one
// at its field.
import fs from 'node:fs/promises';
import type { FieldIssue } from '../shared/api.js';
import type { PairConfig } from '../shared/config.js';
import { duplicateTargets } from '../shared/folder-rules.js';
import { checkRsyncOption } from '../shared/rsync-option-policy.js';
import { parseTarget } from '../engine/rsync/target.js';
import { compileExcludes } from '../engine/excludes.js';
import { findOverlap } from '../engine/target-overlap.js';

export type { FieldIssue };

/** Does the folder exist as a directory? The problem in words, or null. */
export async function folderOnDiskProblem(folder: string): Promise<string | null> {
  try {
    const stat = await fs.stat(folder);
    if (!stat.isDirectory()) return `folder ${folder} is a file, not a directory: pick a directory`;
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return `folder ${folder} does not exist: create it first (mkdir -p ${folder}), or pick an existing folder`;
    if (code === 'EACCES')
      return `folder ${folder} cannot be read (permission denied): pick a folder you can read`;
    return `folder ${folder} cannot be used (${code ?? (error as Error).message})`;
  }
}

/**
 * Everything wrong with `pair`, field by field (empty: it may be saved and run). `others` are the pairs it
 * sits beside (a pair with the same id is the one being edited and is left out).
 */
export async function validatePair(
  pair: PairConfig,
  others: readonly PairConfig[] = [],
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const onDisk = await folderOnDiskProblem(pair.folder);
  if (onDisk) issues.push({ field: 'folder', message: onDisk });
  for (const [index, target] of pair.targets.entries()) {
    try {
      parseTarget(target.url);
    } catch (error) {
      issues.push({ field: `targets.${index}.url`, message: (error as Error).message });
    }
    for (const [at, option] of (target.rsync?.extraArgs ?? []).entries()) {
      const why = checkRsyncOption(option, { deletion: pair.deletion });
      if (why)
        issues.push({
          field: `targets.${index}.rsync.extraArgs.${at}`,
          message: `${option} is refused: ${why}`,
        });
    }
  }
  for (const [at, option] of pair.rsync.extraArgs.entries()) {
    const why = checkRsyncOption(option, { deletion: pair.deletion });
    if (why) issues.push({ field: `rsync.extraArgs.${at}`, message: `${option} is refused: ${why}` });
  }
  try {
    compileExcludes(pair.excludes, pair.fullSync.excludes);
  } catch (error) {
    const message = (error as Error).message;
    issues.push({ field: message.startsWith('exclude glob') ? 'excludes.glob' : 'excludes.regex', message });
  }
  const beside = others.filter((other) => other.id !== pair.id);
  const before = issues.length;
  for (const hit of duplicateTargets([...beside, pair])) {
    if (hit.pairIndex === beside.length)
      issues.push({ field: `targets.${hit.targetIndex}.url`, message: hit.message });
  }
  // Targets that are the same place as, inside or around another pair's (or this pair's other) target.
  const overlap = issues.length === before ? findOverlap(pair, beside) : null;
  if (overlap) issues.push({ field: `targets.${overlapIndex(pair, overlap)}.url`, message: overlap });
  return issues;
}

/** The target an overlap message is about (it names the target's URL first). */
function overlapIndex(pair: PairConfig, message: string): number {
  const index = pair.targets.findIndex((target) => message.includes(`target ${target.url} `));
  return Math.max(0, index);
}

/** Issues as lines for a terminal or a log: "folder: message". */
export function formatFieldIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('\n');
}
