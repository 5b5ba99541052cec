// Unit tests for older rsync servers: the argv per capability set, the words for what a server lacks, the
// refused-option error, the "no retrying" wording of one-shot runs and the pruned deletion list.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import {
  describeCapabilities,
  fallbacks,
  FULL_CAPABILITIES,
  refusalMessage,
  versionLabel,
  type ServerCapabilities,
} from '../../electron/engine/rsync/server-capabilities.js';
import { buildArgs, type CommandSpec } from '../../electron/engine/rsync/command.js';
import { pruneBelowDeleted } from '../../electron/engine/rsync/deletion-list.js';
import { classifyFailure, withoutRetry } from '../../electron/engine/rsync/exit-codes.js';
import { parseTarget } from '../../electron/engine/rsync/target.js';

const V312: ServerCapabilities = {
  modifyWindowNs: false,
  mkpath: false,
  nestedDeletes: false,
  version: '3.1.2 or older',
};
const V313: ServerCapabilities = {
  modifyWindowNs: true,
  mkpath: false,
  nestedDeletes: false,
  version: '3.1.3 to 3.2.2',
};

describe('buildArgs per capability set', () => {
  const base: CommandSpec = {
    kind: 'paths',
    folder: '/home/me/Photos',
    target: parseTarget('rsync://backup@nas/photos/laptop'),
    deletion: 'mirror',
    options: { extraArgs: [], timeoutSec: 30, contimeoutSec: 10, bwlimitKiB: 0 },
    passwordFile: null,
    excludeGlobs: [],
    today: '2026-12-04',
  };

  it('current servers (and no capabilities given): nanosecond mtimes and --mkpath for a sub-path', () => {
    for (const args of [buildArgs(base), buildArgs({ ...base, capabilities: FULL_CAPABILITIES })]) {
      expect(args).toContain('--modify-window=-1');
      expect(args).toContain('--mkpath');
    }
  });

  it('3.1.2: --modify-window=0, no -@-1, no --mkpath; listed paths still compared by content', () => {
    for (const kind of ['paths', 'tree', 'full'] as const) {
      const args = buildArgs({ ...base, kind, capabilities: V312 });
      expect(args).toContain('--modify-window=0');
      expect(args).not.toContain('--modify-window=-1');
      expect(args).not.toContain('--mkpath');
      if (kind !== 'full') expect(args).toContain('--ignore-times');
    }
  });

  it('3.1.3: nanosecond mtimes but no --mkpath', () => {
    const args = buildArgs({ ...base, capabilities: V313 });
    expect(args).toContain('--modify-window=-1');
    expect(args).not.toContain('--mkpath');
  });

  it('versions and keep are sent the same way to every version', () => {
    for (const caps of [V312, V313, FULL_CAPABILITIES]) {
      const versions = buildArgs({ ...base, kind: 'full', deletion: 'versions', capabilities: caps });
      expect(versions).toEqual(
        expect.arrayContaining(['--delete', '--backup', '--backup-dir=.rsync-live-versions/2026-12-04']),
      );
      const keep = buildArgs({ ...base, deletion: 'keep', capabilities: caps });
      expect(keep).toContain('--ignore-missing-args');
      expect(keep.some((a) => a.startsWith('--delete'))).toBe(false);
    }
  });

  it('local targets always get --mkpath (the local client has it)', () => {
    expect(buildArgs({ ...base, target: parseTarget('/mnt/b'), capabilities: V312 })).toContain('--mkpath');
  });
});

describe('what a server lacks, in words', () => {
  it('labels the release range', () => {
    expect(versionLabel(V312)).toBe('3.1.2 or older');
    expect(versionLabel(V313)).toBe('3.1.3 to 3.2.2');
    expect(versionLabel(FULL_CAPABILITIES)).toBe('3.2.3 or newer');
  });

  it('names each option, the release that has it and what the tool does instead', () => {
    expect(fallbacks(FULL_CAPABILITIES)).toEqual([]);
    const notes = fallbacks(V312).map((f) => refusalMessage('nas::photos', f));
    expect(notes).toEqual([
      expect.stringMatching(
        /^nas::photos does not support --modify-window=-1 \(needs rsync 3\.1\.3 or newer\): rsync-live sends --modify-window=0/,
      ),
      expect.stringMatching(
        /^nas::photos does not support --mkpath \(needs rsync 3\.2\.3 or newer\): rsync-live creates a missing sub-path with a plain directory push/,
      ),
      expect.stringMatching(
        /needs rsync 3\.2\.3 or newer\): rsync-live lists only the top-most deleted directory/,
      ),
    ]);
    expect(describeCapabilities(V313)).toMatch(
      /^rsync 3\.1\.3 to 3\.2\.2: sub-paths created without --mkpath/,
    );
  });
});

describe('errors', () => {
  it('a refused option: names it, the release that has it and what the tool did', () => {
    const error = classifyFailure({
      target: 'nas::photos',
      user: 'backup',
      exitCode: 10,
      stderr: 'rsync: [sender] read error: Connection reset by peer (104)\n',
      refused: {
        options: ['--mkpath'],
        needs: 'rsync 3.2.3',
        instead:
          "rsync-live sent nothing to this target: remove it from the pair's or target's rsync.extraArgs",
      },
    });
    expect(error.kind).toBe('option-refused');
    expect(error.class).toBe('config');
    expect(error.message).toBe(
      "the rsync server of nas::photos refuses --mkpath (needs rsync 3.2.3 or newer): rsync-live sent nothing to this target: remove it from the pair's or target's rsync.extraArgs",
    );
    expect(error.message).not.toMatch(/retrying/i);
  });

  it('the 3.1.x abort on a nested deletion is retried, not a stop', () => {
    const error = classifyFailure({
      target: 'nas::photos',
      user: null,
      exitCode: 2,
      stderr:
        'ABORTING due to invalid path from sender: a/b/c\nrsync error: protocol incompatibility (code 2) at generator.c(1270) [generator=3.1.2]\n',
    });
    expect(error.kind).toBe('vanished');
    expect(error.class).toBe('transient');
  });

  it('one-shot runs drop the promise to retry', () => {
    const reset = classifyFailure({
      target: 'nas::photos',
      user: null,
      exitCode: 10,
      stderr: 'rsync: [sender] read error: Connection reset by peer (104)\n',
    });
    expect(reset.message).toMatch(/; retrying$/);
    expect(withoutRetry(reset.message)).not.toMatch(/retrying/i);
    const refused = classifyFailure({
      target: 'nas::photos',
      user: null,
      exitCode: 10,
      stderr: 'rsync: failed to connect to nas: Connection refused (111)',
    });
    expect(withoutRetry(refused.message)).toMatch(/listening on that port\?$/);
    expect(withoutRetry('nas has reached its "max connections" limit; retrying (lower it)')).toBe(
      'nas has reached its "max connections" limit (lower it)',
    );
  });
});

describe('pruneBelowDeleted', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-prune-'));
    await fs.mkdir(path.join(root, 'kept/sub'), { recursive: true });
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('drops the entries below a listed directory that is gone locally, keeps the rest', async () => {
    const list = ['gone', 'gone/a', 'gone/a/b', 'kept', 'kept/sub', 'kept/x', 'other'] as RelPath[];
    expect(await pruneBelowDeleted(Buffer.from(root), list)).toEqual([
      'gone',
      'kept',
      'kept/sub',
      'kept/x',
      'other',
    ]);
  });

  it('leaves a list without nested entries as it is', async () => {
    const list = ['a', 'b/c', 'd'] as RelPath[];
    expect(await pruneBelowDeleted(Buffer.from(root), list)).toEqual(list);
  });
});
