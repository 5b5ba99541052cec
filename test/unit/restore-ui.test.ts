// The restore part of the API contract and the Browse backup view's pure helpers: request validation (paths
// stay below the folder, a version is a day, bytes pass through), the markers, the outcome sentence, and a
// binary path shown as text.
import { describe, expect, it } from 'vitest';
import { apiRequests } from '../../electron/shared/api.js';
import type { BackupEntryView } from '../../electron/shared/restore.js';
import { averageRate, progressSampler } from '../../electron/service/restore-service.js';
import { describeResult, displayPath, entryMark } from '../../renderer/src/lib/backup-marks.js';

const entry = (over: Partial<BackupEntryView>): BackupEntryView => ({
  path: 'a.txt',
  name: 'a.txt',
  kind: 'file',
  size: 1,
  mtime: '2026-12-01T00:00:00.000Z',
  local: 'same',
  ...over,
});

describe('restore requests', () => {
  const ids = { pairId: 'docs', targetId: 't1' };

  it('browse defaults to the top; a path with ".." or a leading "/" is refused', () => {
    expect(apiRequests.browse.parse(ids)).toEqual({ ...ids, dir: '' });
    expect(apiRequests.browse.safeParse({ ...ids, dir: 'a/../..' }).success).toBe(false);
    expect(apiRequests.browse.safeParse({ ...ids, dir: '/etc' }).success).toBe(false);
  });

  it('restore takes binary paths as they are, a day as version, and defaults overwriteNewer to false', () => {
    const latin1 = Buffer.from([0x66, 0xff, 0x0a, 0x2d]).toString('latin1');
    expect(apiRequests.restore.parse({ ...ids, paths: [latin1], version: '2026-12-01' })).toEqual({
      ...ids,
      paths: [latin1],
      version: '2026-12-01',
      overwriteNewer: false,
    });
    expect(apiRequests.restore.safeParse({ ...ids, paths: [] }).success).toBe(false);
    expect(apiRequests.restore.safeParse({ ...ids, paths: ['a'], version: 'yesterday' }).success).toBe(false);
    expect(apiRequests.restore.safeParse({ ...ids, paths: ['a'], to: 'relative/dir' }).success).toBe(false);
    expect(apiRequests.restore.safeParse({ ...ids, paths: ['a'], to: '~/Restored' }).success).toBe(true);
    expect(apiRequests.versions.safeParse({ ...ids, path: '' }).success).toBe(false);
  });
});

describe('Browse backup helpers', () => {
  it('marks what differs from the folder, a deleted file first', () => {
    expect(entryMark(entry({ local: 'same' }))).toBeNull();
    expect(entryMark(entry({ local: 'missing' }))?.text).toBe('missing locally');
    expect(entryMark(entry({ kind: 'dir', local: 'missing' }))?.text).toBe('only on the backup');
    expect(entryMark(entry({ local: 'newer-on-backup' }))?.text).toBe('newer on the backup');
    expect(entryMark(entry({ local: 'newer-locally' }))).toEqual({ text: 'newer locally', tone: 'warn' });
    expect(entryMark(entry({ local: 'missing', deletedVersion: '2026-12-01' }))?.text).toBe(
      'deleted, last version 2026-12-01',
    );
  });

  it('says what a restore did', () => {
    const result = { restored: 1, unchanged: 0, skippedNewer: [], failed: [], destination: '/home/me/Docs' };
    expect(describeResult(result)).toBe('Restored 1 file into /home/me/Docs.');
    expect(
      describeResult({
        ...result,
        restored: 2,
        unchanged: 3,
        skippedNewer: [{ path: 'a', name: 'a' }],
        failed: [{ path: 'b', name: 'b', message: 'x' }],
      }),
    ).toBe('Restored 2 files into /home/me/Docs; 3 already the same; 1 newer locally left alone; 1 failed.');
  });

  it('shows a binary path as UTF-8 text, invalid bytes as U+FFFD', () => {
    expect(displayPath(Buffer.from('notes/café.txt').toString('latin1'))).toBe('notes/café.txt');
    expect(displayPath(Buffer.from([0x61, 0xff]).toString('latin1'))).toBe('a\uFFFD');
  });
});

describe('restore progress events', () => {
  it('reports each phase change, then about one event per percent of the entries', () => {
    const report = progressSampler();
    const at = (phase: 'listing' | 'transferring' | 'done', done: number, total = 1000) =>
      report({ phase, done, total, bytes: 0 });
    expect(at('listing', 0, 0)).toBe(true);
    expect(at('listing', 0, 0)).toBe(false);
    expect(at('transferring', 1)).toBe(true);
    expect([2, 5, 10].map((done) => at('transferring', done))).toEqual([false, false, false]);
    expect(at('transferring', 11)).toBe(true);
    expect(at('done', 1000)).toBe(true);
    const small = progressSampler();
    expect([1, 2, 3].map((done) => small({ phase: 'transferring', done, total: 3, bytes: 0 }))).toEqual([
      true,
      true,
      true,
    ]);
  });
});

describe('averageRate', () => {
  it('bytes per second since the restore began, once there is something to average', () => {
    expect(averageRate(3 * 1024 * 1024, 1500)).toBe(2 * 1024 * 1024);
    expect(averageRate(0, 5000)).toBeNull();
    expect(averageRate(4096, 50)).toBeNull();
  });
});
