// "Sent today" (electron/shared/sent-today.ts): file data, each file once, restarting at midnight.
import { describe, expect, it } from 'vitest';
import { SentToday } from '../../electron/shared/sent-today.js';

describe('SentToday', () => {
  it('counts a 2-byte file as 2 B and a file sent twice once, at its newest size', () => {
    const sent = new SentToday('2026-12-04');
    sent.add('2026-12-04', 'small.txt', 2);
    expect(sent.totals('2026-12-04')).toEqual({ date: '2026-12-04', files: 1, bytes: 2 });
    sent.add('2026-12-04', 'big.bin', 12_000_000);
    sent.add('2026-12-04', 'big.bin', 12_000_000);
    expect(sent.totals('2026-12-04')).toEqual({ date: '2026-12-04', files: 2, bytes: 12_000_002 });
    sent.add('2026-12-04', 'big.bin', 5_000_000);
    expect(sent.totals('2026-12-04').bytes).toBe(5_000_002);
  });

  it('starts again at midnight, and reads 0 on a day without sends yet', () => {
    const sent = new SentToday('2026-12-04');
    sent.add('2026-12-04', 'a', 10);
    expect(sent.totals('2026-12-05')).toEqual({ date: '2026-12-05', files: 0, bytes: 0 });
    sent.add('2026-12-05', 'a', 10);
    expect(sent.totals('2026-12-05')).toEqual({ date: '2026-12-05', files: 1, bytes: 10 });
  });
});
