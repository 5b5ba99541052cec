import { describe, expect, it } from 'vitest';
import { relFromBuffer, type RelPath } from '../../electron/engine/byte-path.js';
import {
  buildArgs,
  encodeFileList,
  watchdogReplacesTimeout,
  type CommandSpec,
} from '../../electron/engine/rsync/command.js';
import { needsStallWatch } from '../../electron/engine/rsync/runner.js';
import { classifyFailure, exitMeaning } from '../../electron/engine/rsync/exit-codes.js';
import { failedPaths, onlyChangedWhileSent } from '../../electron/engine/rsync/failed-paths.js';
import { LineSplitter, parseLine, parseRate, unescapeName } from '../../electron/engine/rsync/output.js';
import { describeTarget, destinationArg, parseTarget } from '../../electron/engine/rsync/target.js';
import { parseModuleList } from '../../electron/engine/connection-test.js';

describe('parseTarget', () => {
  it('reads rsync:// URLs with user, port, module and sub-path', () => {
    expect(parseTarget('rsync://backup@10.0.0.5:8873/photos/2024/raw/')).toEqual({
      kind: 'daemon',
      user: 'backup',
      host: '10.0.0.5',
      port: 8873,
      module: 'photos',
      path: '2024/raw',
    });
    expect(parseTarget('rsync://nas/photos')).toMatchObject({
      kind: 'daemon',
      user: null,
      port: null,
      path: '',
    });
  });

  it('reads host::module and ssh host:path and local directories', () => {
    expect(parseTarget('backup@nas::photos/sub')).toMatchObject({
      kind: 'daemon',
      user: 'backup',
      host: 'nas',
      module: 'photos',
      path: 'sub',
    });
    expect(parseTarget('root@server:/srv/backup')).toEqual({
      kind: 'ssh',
      user: 'root',
      host: 'server',
      path: '/srv/backup',
    });
    expect(parseTarget('/mnt/backup/')).toEqual({ kind: 'local', path: '/mnt/backup' });
    expect(parseTarget('rsync://[::1]:873/m')).toMatchObject({ host: '[::1]', port: 873 });
  });

  it('rejects malformed targets with a message that shows the right syntax', () => {
    expect(() => parseTarget('rsync://host')).toThrow(/rsync:\/\/\[user@\]host\[:port\]\/module/);
    expect(() => parseTarget('rsync://host:99999/m')).toThrow(/port 99999 is out of range/);
    expect(() => parseTarget('relative/dir')).toThrow(/not understood/);
    expect(() => parseTarget('')).toThrow(/empty/);
    expect(() => parseTarget('ftp://host/x')).toThrow(/"ftp:\/" URLs are not supported/);
    expect(() => parseTarget('rsync:/host/m')).toThrow(/rsync URLs start with two slashes/);
    expect(parseTarget('server:/srv/backup')).toEqual({
      kind: 'ssh',
      user: null,
      host: 'server',
      path: '/srv/backup',
    });
  });

  it('renders the destination with a trailing slash and a readable label', () => {
    const t = parseTarget('rsync://u@h:1/m/a/b');
    expect(destinationArg(t)).toBe('rsync://u@h:1/m/a/b/');
    expect(describeTarget(t)).toBe('h:1::m/a/b');
    expect(destinationArg(parseTarget('h::m'))).toBe('rsync://h/m/');
  });
});

describe('buildArgs', () => {
  const base: CommandSpec = {
    kind: 'paths',
    folder: '/home/me/Photos',
    target: parseTarget('rsync://backup@nas/photos'),
    deletion: 'mirror',
    options: { extraArgs: ['--numeric-ids'], timeoutSec: 30, contimeoutSec: 10, bwlimitKiB: 500 },
    passwordFile: '/etc/rl.secret',
    excludeGlobs: ['*.swp'],
    today: '2026-11-26',
  };

  it('batches with a NUL-separated files-from list and precise deletions', () => {
    const args = buildArgs(base);
    expect(args).toEqual(
      expect.arrayContaining([
        '--ignore-times',
        '--from0',
        '--files-from=-',
        '--delete-missing-args',
        '--force',
      ]),
    );
    expect(args).not.toContain('--delete');
    expect(args).toEqual(
      expect.arrayContaining(['--sockopts=TCP_NODELAY', '--contimeout=10', '--bwlimit=500']),
    );
    // Path runs to a daemon go without --timeout: the runner's stall watchdog stands in (see command.ts).
    expect(args.some((a) => a.startsWith('--timeout'))).toBe(false);
    expect(args).toContain('--password-file=/etc/rl.secret');
    expect(args.slice(-3)).toEqual(['--numeric-ids', '/home/me/Photos/', 'rsync://backup@nas/photos/']);
  });

  it('keeps rsync --timeout for full and tree runs and for ssh targets; path runs to a daemon use the watchdog', () => {
    expect(buildArgs({ ...base, kind: 'full' })).toContain('--timeout=30');
    expect(buildArgs({ ...base, kind: 'tree' })).toContain('--timeout=30');
    expect(watchdogReplacesTimeout({ ...base, kind: 'paths' })).toBe(true);
    expect(watchdogReplacesTimeout({ ...base, kind: 'move' })).toBe(true);
    expect(watchdogReplacesTimeout({ ...base, kind: 'full' })).toBe(false);
    const ssh = { ...base, target: parseTarget('backup@nas:/srv/photos') };
    expect(watchdogReplacesTimeout(ssh)).toBe(false);
    expect(buildArgs(ssh)).toContain('--timeout=30');
    expect(needsStallWatch(buildArgs(base), 30_000)).toBe(true);
    expect(needsStallWatch(buildArgs({ ...base, kind: 'full' }), 30_000)).toBe(false);
    expect(needsStallWatch(buildArgs(base), 0)).toBe(false);
  });

  it('never deletes in keep mode and keeps versions in versions mode', () => {
    const keep = buildArgs({ ...base, deletion: 'keep' });
    expect(keep).toContain('--ignore-missing-args');
    expect(keep.some((a) => a.startsWith('--delete'))).toBe(false);
    const versions = buildArgs({ ...base, kind: 'full', deletion: 'versions' });
    expect(versions).toEqual(
      expect.arrayContaining([
        '--delete',
        '--backup',
        '--backup-dir=.rsync-live-versions/2026-11-26',
        '--exclude=/.rsync-live-versions',
      ]),
    );
  });

  it('full syncs recurse with --delete and the excludes, local targets get no socket options', () => {
    const full = buildArgs({ ...base, kind: 'full', target: parseTarget('/mnt/b') });
    expect(full).toEqual(expect.arrayContaining(['--delete', '--exclude=*.swp', '--mkpath']));
    expect(full).not.toContain('--files-from=-');
    expect(full.some((a) => a.startsWith('--sockopts') || a.startsWith('--password-file'))).toBe(false);
  });
});

describe('encodeFileList', () => {
  it('is NUL-terminated, byte-exact, and protects names rsync would read as comments', () => {
    const odd = relFromBuffer(Buffer.from([0x62, 0xff, 0x0a, 0x63]));
    const list = encodeFileList(['#x', ';y', 'a/#z', '-n', odd] as RelPath[]);
    expect(list).toEqual(
      Buffer.concat([Buffer.from('./#x\0./;y\0a/#z\0-n\0'), Buffer.from([0x62, 0xff, 0x0a, 0x63, 0])]),
    );
  });
});

describe('rsync output parsing', () => {
  it('parses itemized lines, deletions and escaped names', () => {
    expect(parseLine('RL><f+++++++++|5|dir/a|b')).toEqual({
      type: 'file',
      path: 'dir/a|b',
      size: 5,
      bytes: null,
      deleted: false,
      transferred: true,
      data: true,
      created: true,
      isDir: false,
    });
    expect(parseLine('RL>*deleting  |0|gone/')).toMatchObject({ path: 'gone', deleted: true, isDir: true });
    expect(parseLine('RL>cL+++++++++|7|link')).toMatchObject({ transferred: true, data: false });
    // Move runs keep the wire bytes (MOVE_OUT_FORMAT).
    expect(parseLine('RM><f+++++++++|5|48|dir/a|b')).toMatchObject({ path: 'dir/a|b', size: 5, bytes: 48 });
    // New on the receiver ("+++++++++") or an update of what was there.
    expect(parseLine('RL>cd+++++++++|0|new/')).toMatchObject({ created: true, isDir: true });
    expect(parseLine('RL>>f.st......|9|changed')).toMatchObject({ created: false, transferred: true });
    expect(parseLine('RL>*deleting  |0|old')).toMatchObject({ created: false });
    expect(unescapeName('new\\#012line\\#377')).toBe('new\nline\xff');
  });

  it('parses progress2 lines and ignores other output', () => {
    expect(parseLine('       21037056  66%   19.56MB/s    0:00:00 (xfr#1, to-chk=1/2)')).toMatchObject({
      type: 'progress',
      bytes: 21037056,
      percent: 66,
      remaining: 1,
      total: 2,
      bytesPerSecond: Math.round(19.56 * 1024 * 1024),
      etaSeconds: null,
      fileDone: true,
    });
    // Mid-file, the time is what rsync estimates is left.
    expect(parseLine('        2129920  70%    1.98MB/s    0:01:05  ')).toMatchObject({
      bytes: 2129920,
      etaSeconds: 65,
      fileDone: false,
    });
    expect(parseLine('         32768   0%    0.00kB/s    0:00:00')).toMatchObject({
      bytes: 32768,
      bytesPerSecond: 0,
      remaining: null,
      total: null,
    });
    expect(parseRate('512.00kB/s')).toBe(512 * 1024);
    expect(parseRate('1.50GB/s')).toBe(Math.round(1.5 * 1024 ** 3));
    expect(parseRate('fast')).toBeNull();
    expect(parseLine('created 2 directories for sub/x')).toBeNull();
  });

  it('splits on both \\r and \\n across chunks', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter();
    splitter.push(Buffer.from('  1 1%  1kB/s 0:00:00\r  2 2% 1kB/s 0:00:00\nRL><f'), (l) => lines.push(l));
    splitter.push(Buffer.from('++|1|x\n'), (l) => lines.push(l));
    splitter.end((l) => lines.push(l));
    expect(lines).toEqual(['  1 1%  1kB/s 0:00:00', '  2 2% 1kB/s 0:00:00', 'RL><f++|1|x']);
  });

  it('reads a daemon module list', () => {
    expect(parseModuleList('photos         \tFamily photos\ndocs\t\n')).toEqual(['photos', 'docs']);
  });
});

describe('failedPaths', () => {
  const folder = '/home/ann/Fotos café';
  const escaped = '/home/ann/Fotos caf\\#303\\#251';

  it('names the files and directories rsync could not send, byte-exact', () => {
    const stderr = [
      `rsync: [sender] send_files failed to open "${escaped}/secret.txt": Permission denied (13)`,
      `rsync: [sender] opendir "${escaped}/closed" failed: Permission denied (13)`,
      `rsync: [sender] send_files failed to open "${escaped}/bad\\#377 \\#012name": Permission denied (13)`,
      `file has vanished: "${escaped}/gone"`,
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]',
    ].join('\n');
    expect(failedPaths(stderr, folder)).toEqual(['secret.txt', 'closed', 'bad\xff \nname', 'gone']);
  });

  it('gives up (null) on any message it cannot tie to a path inside the folder', () => {
    const permission = `rsync: [sender] send_files failed to open "${escaped}/a": Permission denied (13)`;
    expect(
      failedPaths(
        `${permission}\nrsync: [receiver] mkstemp "/x/.a.Xy12" (in data) failed: No space left`,
        folder,
      ),
    ).toBeNull();
    expect(
      failedPaths('rsync: [sender] send_files failed to open "/elsewhere/a": Permission denied (13)', folder),
    ).toBeNull();
    expect(failedPaths('rsync error: some files/attrs were not transferred (code 23)', folder)).toBeNull();
    expect(failedPaths('', folder)).toBeNull();
  });

  it('tells files that changed or vanished while they were sent from real failures', () => {
    const shrank = `rsync: [sender] read errors mapping "${escaped}/log \\#012x": No data available (61)`;
    const redo = 'WARNING: log \\#012x failed verification -- update discarded (will try again).';
    const summary =
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394)';
    const stderr = ['', shrank, redo, `file has vanished: "${escaped}/gone"`, summary].join('\n');
    expect(failedPaths(stderr, folder)).toEqual(['log \nx', 'gone']);
    expect(onlyChangedWhileSent(stderr)).toBe(true);
    // rsync 3.1 has no role in its messages.
    expect(onlyChangedWhileSent(shrank.replace('[sender] ', ''))).toBe(true);
    // A read error of the disk, a file that cannot be opened, a redo that failed too: failures.
    expect(onlyChangedWhileSent(shrank.replace('No data available (61)', 'Input/output error (5)'))).toBe(
      false,
    );
    const denied = `rsync: [sender] send_files failed to open "${escaped}/a": Permission denied (13)`;
    expect(onlyChangedWhileSent(`${shrank}\n${denied}`)).toBe(false);
    expect(onlyChangedWhileSent(`${shrank}\nERROR: log failed verification -- update discarded.`)).toBe(
      false,
    );
    expect(onlyChangedWhileSent(summary)).toBe(false);
  });
});

describe('classifyFailure', () => {
  const ctx = { target: '10.0.0.5::photos', user: 'backup' };
  it('explains auth failures as a config error naming user and target', () => {
    const c = classifyFailure({
      ...ctx,
      exitCode: 5,
      stderr: '@ERROR: auth failed on module photos\nrsync error: ...',
    });
    expect(c).toMatchObject({ kind: 'auth-failed', class: 'config' });
    expect(c.message).toMatch(/^auth failed for user backup on 10\.0\.0\.5::photos: check the password/);
  });

  it.each([
    [5, "@ERROR: Unknown module 'photoz'", 'unknown-module', 'config'],
    [
      10,
      'rsync: failed to connect to 10.0.0.5 (10.0.0.5): Connection refused (111)',
      'connection-refused',
      'transient',
    ],
    [10, 'rsync: getaddrinfo: nas 873: Name or service not known', 'unreachable', 'transient'],
    [35, '', 'timeout', 'transient'],
    [30, '[sender] io timeout after 30 seconds -- exiting', 'timeout', 'transient'],
    [12, 'rsync: connection unexpectedly closed', 'connection-lost', 'transient'],
    [
      23,
      'rsync: [sender] send_files failed to open "/x/f": Permission denied (13)',
      'permission-denied',
      'transient',
    ],
    [23, 'rsync: write failed on "/srv/m/f" (in m): No space left on device (28)', 'disk-full', 'transient'],
    [24, 'file has vanished: "/x/y"', 'vanished', 'transient'],
    [5, '@ERROR: max connections (2) reached -- try again later', 'too-many-connections', 'transient'],
    [5, 'rsync: did not see server greeting', 'connection-lost', 'transient'],
    [5, 'ERROR: module is read only', 'read-only', 'transient'],
    [1, 'rsync: --bogus: unknown option', 'option-refused', 'config'],
    [2, 'protocol version mismatch', 'bad-config', 'config'],
  ])('exit %i with %j is %s (%s)', (exitCode, stderr, kind, cls) => {
    expect(classifyFailure({ ...ctx, exitCode, stderr })).toMatchObject({ kind, class: cls });
  });

  it('reports a missing rsync binary with the fix', () => {
    expect(classifyFailure({ ...ctx, exitCode: null, stderr: '', spawnError: 'ENOENT' }).message).toMatch(
      /apt-get install rsync/,
    );
  });

  it('names every documented exit code', () => {
    for (const code of [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 25, 30, 35]) {
      expect(exitMeaning(code)).not.toMatch(/unknown/);
    }
    expect(exitMeaning(99)).toBe('unknown exit code 99');
  });
});

describe('pair schema', () => {
  it('rejects an invalid cron schedule with an example', async () => {
    const { pairSchema, formatIssues } = await import('../../electron/shared/config.js');
    const result = pairSchema.safeParse({
      id: 'p',
      folder: '/x',
      targets: [{ url: '/y' }],
      fullSync: { schedule: 'every night' },
    });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(formatIssues(result.error)).toMatch(/^fullSync\.schedule: not a valid cron schedule/);
    expect(
      pairSchema.safeParse({
        id: 'p',
        folder: '/x',
        targets: [{ url: '/y' }],
        fullSync: { schedule: '0 3 * * *' },
      }).success,
    ).toBe(true);
  });
});
