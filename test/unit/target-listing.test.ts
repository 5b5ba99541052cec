// The pure parts of Test connection's target listing: the sentence about what a target path holds, the CLI's
// lines, the sub-path suggested for each kind of target, and the top-most sample of a listing.
import { describe, expect, it } from 'vitest';
import { formatConnectionTest } from '../../electron/cli/commands/test-connection.js';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { sampleOf, splitOwed, suggestSubPath } from '../../electron/engine/rsync/target-listing.js';
import { parseTarget } from '../../electron/engine/rsync/target.js';
import { describeTargetContents, type ConnectionTestResult } from '../../electron/shared/api.js';

describe('describeTargetContents', () => {
  it.each([
    [0, 0, 'this path is empty: nothing will be deleted'],
    [3, 0, 'this path holds 3 entries, all in your folder: nothing will be deleted'],
    [1, 1, 'this path holds 1 entry, 1 not in your folder'],
    [202, 201, 'this path holds 202 entries, 201 not in your folder'],
  ])('%i entries, %i foreign', (entries, foreign, text) => {
    expect(describeTargetContents({ entries, foreign })).toBe(text);
  });
});

describe('suggestSubPath', () => {
  it.each([
    ['rsync://backup@nas:8873/backup', 'rsync://backup@nas:8873/backup/laptop-My-Documents'],
    ['rsync://nas/backup/old/', 'rsync://nas/backup/old/laptop-My-Documents'],
    ['me@nas:backups', 'me@nas:backups/laptop-My-Documents'],
    ['/mnt/usb', '/mnt/usb/laptop-My-Documents'],
  ])('%s', (url, suggestion) => {
    expect(suggestSubPath(parseTarget(url), '/home/me/My Documents', 'laptop.example.org')).toBe(suggestion);
  });
});

describe('sampleOf', () => {
  it('keeps top-most entries for people, at most 100', () => {
    const below = Array.from({ length: 300 }, (_, i) => `other/f${i}`);
    expect(sampleOf(['other/', ...below, 'caf\xe9.txt'])).toEqual(['other/', 'caf\uFFFD.txt']);
    expect(sampleOf(Array.from({ length: 150 }, (_, i) => `f${i}`))).toHaveLength(100);
  });
});

describe('splitOwed', () => {
  it('counts the entries at or below an owed old path and keeps the rest, names as bytes', () => {
    const owed = new Set(['old dir', 'gone.txt', 'caf\xe9'] as RelPath[]);
    const listing = [
      'old dir/',
      'old dir/f1',
      'old dir/sub/',
      'old dir/sub/f2',
      'old directory/f3',
      'gone.txt',
      'gone.txt.bak',
      'caf\xe9/x',
      'kept/old dir/',
    ];
    expect(splitOwed(listing, owed)).toEqual({
      owed: 6,
      rest: ['old directory/f3', 'gone.txt.bak', 'kept/old dir/'],
    });
    expect(splitOwed(listing, new Set())).toEqual({ owed: 0, rest: listing });
  });
});

describe('formatConnectionTest', () => {
  const base: ConnectionTestResult = {
    ok: true,
    modules: ['backup'],
    authOk: true,
    writable: true,
    error: null,
  };
  it('names foreign entries and the sub-path', () => {
    const lines = formatConnectionTest({
      ...base,
      existing: { entries: 202, foreign: 201, sample: ['other-laptop/'], suggestion: 'rsync://nas/backup/x' },
    });
    expect(lines).toEqual([
      'modules: backup',
      'authentication ok',
      'write access ok',
      'this path holds 202 entries, 201 not in your folder',
      '  other-laptop/',
      'use sub-path: rsync://nas/backup/x',
    ]);
  });
  it('an empty path, and a note when nothing was compared', () => {
    expect(
      formatConnectionTest({ ...base, existing: { entries: 0, foreign: 0, sample: [], suggestion: 'x' } }).at(
        -1,
      ),
    ).toBe('this path is empty: nothing will be deleted');
    expect(formatConnectionTest({ ...base, existingNote: 'folder /x is not a directory' }).at(-1)).toBe(
      'folder /x is not a directory',
    );
  });
});
