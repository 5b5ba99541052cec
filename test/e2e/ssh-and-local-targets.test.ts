// End to end: the same real-time mirroring over SSH (a throwaway sshd on loopback) and to a local directory.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConverge } from '../helpers/manifest.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { pairConfig, startHarness, tempDir, type Harness } from '../helpers/engine-harness.js';

describe('SSH and local targets', () => {
  let sshd: Sshd;
  let src: string;
  let viaSsh: string;
  let local: string;
  let h: Harness;

  beforeAll(async () => {
    sshd = await startSshd();
    [src, viaSsh, local] = await Promise.all([tempDir(), tempDir(), tempDir()]);
    await fs.writeFile(path.join(src, 'before'), 'x');
    h = await startHarness(
      pairConfig({
        folder: src,
        targets: [
          { id: 'ssh', url: `root@127.0.0.1:${viaSsh}/sub`, rsync: { extraArgs: [sshd.rshOption] } },
          { id: 'local', url: path.join(local, 'copy') },
        ],
      }),
    );
  });

  afterAll(async () => {
    await h?.stop();
    await sshd?.stop();
    for (const dir of [src, viaSsh, local]) if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('mirrors over SSH and locally, creating the sub-directory', async () => {
    await fs.mkdir(path.join(src, 'a/b'), { recursive: true });
    await fs.writeFile(path.join(src, 'a/b/#c d'), 'over ssh');
    await fs.rm(path.join(src, 'before'));
    await waitForConverge(src, path.join(viaSsh, 'sub'));
    await waitForConverge(src, path.join(local, 'copy'));
    expect(h.failures).toEqual([]);
  });

  it('an SSH target that cannot log in fails fast with a message instead of prompting', async () => {
    const dest = await tempDir();
    const bad = await startHarness(
      pairConfig({
        id: 'bad',
        folder: src,
        targets: [
          {
            id: 'ssh',
            url: `nobody@127.0.0.1:${dest}`,
            rsync: { extraArgs: [sshd.rshOption.replace(/-i \S+/, '-i /nonexistent')] },
          },
        ],
      }),
    );
    await bad.engine.whenIdle();
    const target = bad.engine.state().pairs[0]?.targets[0];
    expect(target?.status).toBe('stopped');
    expect(target?.error?.kind).toBe('auth-failed');
    expect(target?.error?.message).toMatch(
      /^ssh login as nobody on nobody@127\.0\.0\.1:.* failed: set up key-based login/,
    );
    await bad.stop();
    await fs.rm(dest, { recursive: true, force: true });
  });
});
