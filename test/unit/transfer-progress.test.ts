// The transfer in progress (electron/engine/rsync/transfer-progress.ts) read from rsync's real output, captured
// from rsync 3.5.0 pushing to a daemon with the engine's --out-format and --info=progress2 (--bwlimit=2000):
// the file is named before its data is sent, names with a newline and a non-UTF-8 byte arrive as \#ooo, and a
// progress line that ends a file can run straight into the next itemized line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { display, type RelPath } from '../../electron/engine/byte-path.js';
import { LineSplitter, parseLine, type OutputItem } from '../../electron/engine/rsync/output.js';
import { TransferTracker, type SentFile } from '../../electron/engine/rsync/transfer-progress.js';
import type { TransferProgress } from '../../electron/shared/state.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/rsync-output');

function items(file: string): OutputItem[] {
  const out: OutputItem[] = [];
  const splitter = new LineSplitter();
  const onLine = (line: string): void => {
    const item = parseLine(line);
    if (item) out.push(item);
  };
  splitter.push(fs.readFileSync(path.join(FIXTURES, file)), onLine);
  splitter.end(onLine);
  return out;
}

/** Feeds a run's items to a tracker: every progress shown and every file done, in order. */
function replay(all: OutputItem[], ok: boolean): { shown: TransferProgress[]; done: SentFile[] } {
  const tracker = new TransferTracker();
  const shown: TransferProgress[] = [];
  const done: SentFile[] = [];
  for (const item of all) {
    if (item.type === 'file') done.push(...tracker.file(item));
    else if (item.type === 'progress') {
      tracker.record(item);
      shown.push(tracker.view((name) => display(name as RelPath)) as TransferProgress);
    }
  }
  const last = tracker.finish(ok);
  if (last) done.push(last);
  return { shown, done };
}

describe('TransferTracker on captured rsync output', () => {
  const all = items('progress2-daemon.out');

  it('parses every line of the capture: the names before their data, deletions, links and directories', () => {
    const files = all.flatMap((i) => (i.type === 'file' ? [i] : []));
    expect(files.map((f) => [f.path, f.data, f.deleted])).toEqual([
      ['gone.txt', false, true],
      ['.', false, false],
      ['big.bin', true, false],
      ['caf\xe9', true, false],
      ['link', false, false],
      ['new\nline', true, false],
      ['two.txt', true, false],
      ['d', false, false],
    ]);
  });

  it('names the file being sent while it is sent, with its bytes done of its size, rate and time left', () => {
    const { shown } = replay(all, true);
    // The first lines of big.bin, before it is done: mid-file, rsync estimates the time left.
    expect(shown[0]).toMatchObject({ file: 'big.bin', fileSize: 3_000_000, fileBytes: 32768, percent: 1 });
    expect(shown[1]).toMatchObject({
      file: 'big.bin',
      fileBytes: 2_162_688,
      percent: 72,
      bytesPerSecond: Math.round(1.98 * 1024 * 1024),
      etaSeconds: 0,
    });
    // The line that ends big.bin: files checked of the total, no estimate (rsync prints the time taken).
    expect(shown[2]).toMatchObject({ file: 'big.bin', fileBytes: 3_000_000, remaining: 5, total: 7 });
    expect(shown[2]?.etaSeconds).toBeNull();
    // The next files, each named with its own bytes (display form: the newline and the non-UTF-8 byte kept).
    expect(shown[3]).toMatchObject({ file: display('caf\xe9' as RelPath), fileSize: 1, fileBytes: 1 });
    expect(shown[4]).toMatchObject({ file: display('new\nline' as RelPath), fileSize: 1, fileBytes: 1 });
    expect(shown[5]).toMatchObject({ file: 'two.txt', fileSize: 2, fileBytes: 2, remaining: 1 });
  });

  it('counts each file once it is done: data files by their size, the link made on the target at once', () => {
    expect(replay(all, true).done).toEqual([
      { path: 'big.bin', size: 3_000_000 },
      { path: 'link', size: 7 },
      { path: 'caf\xe9', size: 1 },
      { path: 'new\nline', size: 1 },
      { path: 'two.txt', size: 2 },
    ]);
  });

  it('does not count the file a failed run may have broken off in', () => {
    expect(replay(all, false).done.map((f) => f.path)).toEqual(['big.bin', 'link', 'caf\xe9', 'new\nline']);
  });

  it('splits a progress line that runs into the next itemized line', () => {
    expect(items('progress2-glued.out')).toEqual([
      expect.objectContaining({ type: 'progress', bytes: 3_000_004, remaining: 1, total: 7, fileDone: true }),
      expect.objectContaining({ type: 'file', path: 'd', isDir: true }),
    ]);
  });

  it('shows no file before rsync names one', () => {
    const tracker = new TransferTracker();
    const first = all.find((i) => i.type === 'progress');
    if (first?.type !== 'progress') throw new Error('no progress line in the capture');
    tracker.record(first);
    expect(tracker.view((n) => n)).toMatchObject({ file: '', fileSize: null, fileBytes: null });
  });

  it('progress lines only noted (record) show in the next view, which a file line does not disturb', () => {
    const tracker = new TransferTracker();
    expect(tracker.view((n) => n)).toBeNull();
    const lines = all.filter((i) => i.type === 'progress');
    const sent = all.find((i) => i.type === 'file' && i.data && !i.deleted);
    let last: (typeof lines)[number] | undefined;
    for (const item of lines) {
      tracker.record(item);
      last = item;
    }
    if (last?.type !== 'progress' || sent?.type !== 'file') throw new Error('capture lacks lines');
    tracker.file(sent);
    expect(tracker.view((n) => `<${n}>`)).toMatchObject({ bytes: last.bytes, file: `<${sent.path}>` });
  });
});
