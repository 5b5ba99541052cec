// The progress line of a target (renderer/src/lib/progress.ts): file, bytes of the estimated total, rate, time
// left and files checked, from rsync's --info=progress2 numbers.
import { describe, expect, it } from 'vitest';
import { describeTransfer, formatEta } from '../../renderer/src/lib/progress.js';

const MiB = 1024 * 1024;

describe('describeTransfer', () => {
  it('names the file and estimates the total, rate and time left of a large transfer', () => {
    expect(
      describeTransfer({
        file: 'big.bin',
        bytes: 30 * MiB,
        total: 2,
        percent: 25,
        remaining: 1,
        bytesPerSecond: 10 * MiB,
      }),
    ).toEqual({
      file: 'big.bin',
      fileAmount: null,
      amount: '30 MiB of about 120 MiB',
      rate: '10 MiB/s',
      eta: 'about 9 s left',
      checked: '1 of 2 files checked',
    });
  });

  it('says files are being checked before rsync names one, and leaves out what it does not know', () => {
    expect(describeTransfer({ file: '', bytes: 0, total: null, percent: 0 }).file).toBe('checking files…');
    expect(describeTransfer({ file: '', bytes: 32768, total: null, percent: 0 })).toEqual({
      file: 'sending…',
      fileAmount: null,
      amount: '32 KiB',
      rate: null,
      eta: null,
      checked: null,
    });
  });

  it("shows the named file's own bytes and prefers rsync's estimate of the time left", () => {
    expect(
      describeTransfer({
        file: 'big.bin',
        bytes: 40 * MiB,
        total: 3,
        percent: 50,
        remaining: 2,
        bytesPerSecond: 10 * MiB,
        etaSeconds: 125,
        fileSize: 64 * MiB,
        fileBytes: 16 * MiB,
      }),
    ).toMatchObject({
      file: 'big.bin',
      fileAmount: '16 MiB of 64 MiB',
      amount: '40 MiB of about 80 MiB',
      eta: 'about 2 min left',
    });
    // A run that is (nearly) just this file: its amount alone.
    expect(
      describeTransfer({
        file: 'big.bin',
        bytes: 16 * MiB,
        total: 2,
        percent: 25,
        fileSize: 64 * MiB,
        fileBytes: 16 * MiB,
      }),
    ).toMatchObject({ fileAmount: '16 MiB of 64 MiB', amount: null });
  });

  it('formats the time left', () => {
    expect(formatEta(0.2)).toBe('about 1 s');
    expect(formatEta(150)).toBe('about 3 min');
    expect(formatEta(7800)).toBe('about 2 h 10 min');
  });
});
