// Starts a throwaway OpenSSH server on 127.0.0.1 (free port, fresh host and client keys, key-only root login)
// for tests of SSH targets, and gives the rsync --rsh option that reaches it.
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pickFreePort } from './rsync-daemon.js';

export interface Sshd {
  port: number;
  /** The value for rsync: --rsh=ssh -p PORT -i KEY ... */
  rshOption: string;
  stop(): Promise<void>;
}

export async function sshdAvailable(): Promise<boolean> {
  return fs.access('/usr/sbin/sshd').then(
    () => true,
    () => false,
  );
}

export async function startSshd(): Promise<Sshd> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rsync-live-sshd-'));
  await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  const authorized = path.join(dir, 'authorized_keys');
  await fs.copyFile(`${clientKey}.pub`, authorized);
  const port = await pickFreePort();
  const config = path.join(dir, 'sshd_config');
  await fs.writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 5_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    rshOption: `--rsh=ssh -p ${port} -i ${clientKey} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
