// Benchmark suite: describes the machine and the versions of everything compared (for the report), and checks
// that the programs the suite runs are installed.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { MachineInfo } from './types.js';

function firstLine(command: string, args: readonly string[]): string {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n')[0]?.trim() ?? '';
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? '';
    return out.split('\n')[0]?.trim() || 'unknown';
  }
}

/** The engine's version: the commit, and whether electron/ had uncommitted changes when it was built. */
export function engineVersion(root: string): string {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--', 'electron']) !== '';
    return `commit ${commit}${dirty ? ' plus uncommitted changes in electron/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function machineInfo(): Omit<MachineInfo, 'engine'> {
  let osName = 'Linux';
  try {
    osName = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // keep the default
  }
  return {
    cpu: os.cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    os: osName,
    node: process.version,
    rsync: firstLine('rsync', ['--version']).replace(/\s+/g, ' '),
    lsyncd: firstLine('/usr/bin/lsyncd', ['--version']).replace(/^Version:\s*/, ''),
    inotifywait: firstLine('inotifywait', ['--help']).replace(/^inotifywait\s*/, ''),
  };
}

/** Programs the chosen tools need; returns what is missing, each with how to get it. */
export function missingPrograms(needs: { lsyncd: boolean; inotifywait: boolean }): string[] {
  const missing: string[] = [];
  const onPath = (cmd: string): boolean =>
    (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${cmd}`));
  if (!onPath('rsync')) missing.push('rsync (apt-get install rsync)');
  if (!onPath('bash')) missing.push('bash');
  if (needs.lsyncd && !existsSync('/usr/bin/lsyncd'))
    missing.push('/usr/bin/lsyncd (apt-get install lsyncd)');
  if (needs.inotifywait && !onPath('inotifywait'))
    missing.push('inotifywait (apt-get install inotify-tools)');
  return missing;
}
