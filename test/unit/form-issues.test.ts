// Where the pair form shows each problem (renderer/src/lib/form-issues.ts): every path the app answers has a
// field, the guard's numbers are checked at their own fields, and only the rest goes by the buttons.
import { describe, expect, it } from 'vitest';
import { fieldOf, issueAt, localIssues, unplaced } from '../../renderer/src/lib/form-issues.js';

describe('form issues', () => {
  it.each([
    ['folder', 'folder'],
    ['name', 'name'],
    ['targets.1.url', 'targets'],
    ['excludes.regex', 'regex'],
    ['excludes.glob', 'glob'],
    ['delayMs', 'delay'],
    ['maxDelayMs', 'delay'],
    ['rsync.bwlimitKiB', 'bwlimit'],
    ['fullSync.schedule', 'schedule'],
    ['deleteGuard.maxShare', 'guardShare'],
    ['deleteGuard.minEntries', 'guardMin'],
    ['rsync.extraArgs.0', null],
  ])('%s is shown at %s', (field, shown) => {
    expect(fieldOf({ field, message: 'x' })).toBe(shown);
  });

  it('joins the messages of one field and leaves the unplaced ones for the buttons', () => {
    const issues = [
      { field: 'delayMs', message: 'too small' },
      { field: 'maxDelayMs', message: 'too large' },
      { field: 'rsync.extraArgs.0', message: '--remove-source-files is refused' },
    ];
    expect(issueAt(issues, 'delay')).toBe('too small\ntoo large');
    expect(issueAt(issues, 'folder')).toBeNull();
    expect(unplaced(issues)).toEqual([issues[2]]);
  });

  it('checks the folder and the guard numbers in the browser, each at its field', () => {
    const guard = { enabled: true, sharePercent: 150, minEntries: 0.5 };
    expect(localIssues({ folder: 'Documents', deletion: 'mirror', guard }).map((i) => i.field)).toEqual([
      'folder',
      'deleteGuard.maxShare',
      'deleteGuard.minEntries',
    ]);
    expect(localIssues({ folder: '~/Documents', deletion: 'keep', guard })).toEqual([]);
  });
});
