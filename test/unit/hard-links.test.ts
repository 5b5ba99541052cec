// HardLinkCheck on real files (a temporary folder) and FakeClock: a file changed in place that has other names
// asks for a full sync, at once, then at most once per interval; files with one name, directories and files
// gone meanwhile ask for nothing.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { HardLinkCheck } from '../../electron/engine/hard-links.js';
import { FakeClock } from '../helpers/fake-clock.js';

const p = (s: string) => s as RelPath;

describe('HardLinkCheck', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-hardlinks-'));
    await fs.writeFile(path.join(root, 'single'), 'x');
    await fs.writeFile(path.join(root, 'linked \xe9'), 'x');
    await fs.link(path.join(root, 'linked \xe9'), path.join(root, 'other name'));
    await fs.mkdir(path.join(root, 'dir'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  function setup() {
    const clock = new FakeClock();
    const resyncs: string[] = [];
    const check = new HardLinkCheck({
      root: Buffer.from(root),
      clock,
      intervalMs: 10_000,
      resync: (rel) => resyncs.push(rel),
    });
    return { clock, resyncs, check };
  }

  it('asks for nothing for files with one name, directories and files gone meanwhile', async () => {
    const { resyncs, check } = setup();
    await check.check([p('single'), p('dir'), p('gone')]);
    expect(resyncs).toEqual([]);
  });

  it('a file with other names asks for a full sync at once, then at most once per interval', async () => {
    const { clock, resyncs, check } = setup();
    // The name as the watcher gives it: latin1 of the bytes (here UTF-8 é).
    const linked = p(Buffer.from('linked \xe9').toString('latin1'));
    const many = [...Array.from({ length: 100 }, () => p('single')), linked];
    await check.check(many);
    expect(resyncs).toEqual([linked]);
    clock.advance(3_000);
    await check.check([p('other name')]);
    await check.check([linked]);
    expect(resyncs).toHaveLength(1); // waits for the interval; one full sync covers both
    clock.advance(6_999);
    expect(resyncs).toHaveLength(1);
    clock.advance(1);
    expect(resyncs).toEqual([linked, linked]);
    clock.advance(20_000);
    await check.check([p('other name')]);
    expect(resyncs).toEqual([linked, linked, 'other name']);
    check.stop();
  });

  it('a request waiting for the interval is dropped when the pair stops', async () => {
    const { clock, resyncs, check } = setup();
    await check.check([p('other name')]);
    await check.check([p('other name')]);
    check.stop();
    clock.advance(20_000);
    expect(resyncs).toEqual(['other name']);
  });
});
