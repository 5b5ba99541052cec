// The command line against an rsync 3.1.2 daemon (RHEL/CentOS 7): a one-shot sync into a missing sub-path
// works and says what the server lacks; an extra option the server refuses is named, with the release that has
// it, and a one-shot run never says "retrying". Run after `npm run build` (npm test does it).
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine-harness.js';
import { waitForConverge } from '../helpers/manifest.js';
import { oldRsyncMissing, startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [BIN, ...args], { reject: false, env, all: true });
const missing = oldRsyncMissing('3.1.2');

describe('rsync-live CLI against rsync 3.1.2', () => {
  if (missing && process.env['CI'] === 'true') {
    it('rsync 3.1.2 is built', () => {
      throw new Error(`CI needs the old rsync builds: ${missing}`);
    });
    return;
  }
  if (missing) {
    console.warn(`SKIPPED: CLI tests against rsync 3.1.2: ${missing}`);
    it.skip('rsync 3.1.2 (not built)', () => {});
    return;
  }
  let daemon: RsyncDaemon;
  let src: string;

  beforeAll(async () => {
    daemon = await startRsyncDaemon({ version: '3.1.2' });
    src = await tempDir();
    await fs.mkdir(path.join(src, 'docs'));
    await fs.writeFile(path.join(src, 'docs/readme.txt'), 'hello');
  });

  afterAll(async () => {
    await daemon?.dispose();
    await fs.rm(src, { recursive: true, force: true });
  });

  it('watch --once into a missing sub-path works and says what the server lacks', async () => {
    const result = await cli(['watch', src, daemon.url(daemon.moduleName, 'backup/laptop'), '--once'], {
      RSYNC_PASSWORD: daemon.password,
    });
    expect(result.exitCode, result.all).toBe(0);
    await waitForConverge(src, path.join(daemon.modulePath, 'backup/laptop'));
    expect(result.stdout).toMatch(
      /does not support --mkpath \(needs rsync 3\.2\.3 or newer\): rsync-live creates/,
    );
  });

  it('an extra option the server refuses is named with the release that has it, without "retrying"', async () => {
    // (--mkpath itself is refused by rsync-live's own option allow-list: it passes its own directory options.)
    const result = await cli(['watch', src, daemon.url(), '--once', '--rsync-option=--modify-window=-1'], {
      RSYNC_PASSWORD: daemon.password,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(
      /refuses --modify-window=-1 \(needs rsync 3\.1\.3 or newer\): rsync-live sent nothing/,
    );
    expect(result.stderr).toMatch(/rsync\.extraArgs/);
    expect(result.all).not.toMatch(/retrying/i);
  });
});
