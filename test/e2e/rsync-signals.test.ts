// End to end: rsync children are not killed by signals meant for rsync-live. A terminal's Ctrl-C sends SIGINT
// to the whole foreground process group; rsync, in that group, died with exit 20 ("received SIGINT, SIGTERM, or
// SIGHUP", which rsync's manual calls "received SIGUSR1 or SIGINT") in the middle of a file, although
// rsync-live's first SIGINT promises that transfers in flight finish. rsync now runs in its own session.
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsync-daemon.js';
import { eventually, tempDir } from '../helpers/engine-harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/rsync-live.js');

describe('signals to the process group', () => {
  let daemon: RsyncDaemon;
  beforeAll(async () => {
    daemon = await startRsyncDaemon({ socketNodelay: true });
  });
  afterAll(async () => {
    await daemon?.dispose();
  });

  it('Ctrl-C (SIGINT to the whole process group) while rsync is sending: the transfer finishes, exit 0', async () => {
    const dir = await tempDir();
    const dest = path.join(daemon.modulePath, 'ctrl-c');
    // A process group of its own, as a shell gives a foreground job; the group is what a terminal signals.
    const child = execa(
      'node',
      [
        BIN,
        'watch',
        dir,
        daemon.url(daemon.moduleName, 'ctrl-c'),
        '--password-file',
        daemon.passwordFile,
        '--bwlimit',
        '128',
      ],
      { reject: false, all: true, detached: true, forceKillAfterDelay: 20_000 },
    );
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually(() => expect(output).toMatch(/full sync: .* ok/));
      await fs.writeFile(path.join(dir, 'slow.bin'), Buffer.alloc(384 << 10, 5));
      await eventually(
        async () => {
          expect((await fs.readdir(dest).catch(() => [])).some((n) => n.startsWith('.slow.bin.'))).toBe(true);
        },
        10_000,
        20,
      );
      process.kill(-(child.pid as number), 'SIGINT');
      const result = await child;
      expect(result.exitCode, `stopped by ${result.signal ?? 'itself'}; output:\n${output}`).toBe(0);
      expect(output).toContain('received SIGINT: stopping');
      expect(output).not.toMatch(/SIGUSR1 or SIGINT|code 20|exit 20/);
      const sent = await fs.readFile(path.join(dest, 'slow.bin'));
      expect(sent.length).toBe(384 << 10);
      expect(sent[0]).toBe(5);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
