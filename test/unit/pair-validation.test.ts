// Validation in one place (issue 14, points 1-3): the rsync option allow-list, the folder rules, passwords in
// target URLs, target ids assigned once at parse time, and validatePair's on-disk and duplicate checks.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairSchema, type PairConfig } from '../../electron/shared/config.js';
import { duplicateTargets, expandHome, folderProblem } from '../../electron/shared/folder-rules.js';
import { checkRsyncOption } from '../../electron/shared/rsync-option-policy.js';
import { redactUrl, splitUrlPassword } from '../../electron/shared/url-password.js';
import { parseTarget } from '../../electron/engine/rsync/target.js';
import { validatePair } from '../../electron/service/pair-validation.js';
import { translateCommonParams } from '../../electron/sersync/rsync-params.js';

describe('rsync option allow-list', () => {
  it('allows options that change how files travel or which attributes they keep', () => {
    for (const option of [
      '--numeric-ids',
      '--compress',
      '-z',
      '-az'.replace('a', 'H'),
      '--chmod=D755,F644',
      '--bwlimit'.replace('bwlimit', 'partial'),
      '--rsh=ssh -p 2222',
      '-essh -p 2222',
      '--exclude=*.tmp',
      '--inplace',
      '--update',
      '-u',
      '--no-perms',
      '--iconv=utf8,latin1',
    ])
      expect(checkRsyncOption(option), option).toBeNull();
  });

  it('refuses options that change the source or the meaning of the mirror, saying why', () => {
    const cases: [string, RegExp][] = [
      ['--remove-source-files', /deletes your files from the folder/],
      ['--delete', /decides deletions itself/],
      ['--delete-excluded', /decides deletions itself/],
      ['--del', /decides deletions itself/],
      ['--max-delete=5', /decides deletions itself/],
      ['--dry-run', /nothing would ever be copied/],
      ['-n', /-n \(--dry-run\): nothing would ever be copied/],
      ['-zn', /-n \(--dry-run\)/],
      ['--files-from=/etc/list', /its own file lists/],
      ['--from0', /its own file lists/],
      ['-0', /from0/],
      ['--backup-dir=x', /use "versions"/],
      ['--append', /no longer be an exact copy/],
      ['--existing', /no longer be an exact copy/],
      ['--remote-option=--remove-source-files', /beyond what rsync-live can check/],
      ['--password-file=/x', /--password-file/],
      ['--timeout=5', /setting of its own/],
      ['--frobnicate', /not on the list/],
      ['numeric-ids', /starting with "-"/],
    ];
    for (const [option, why] of cases) expect(checkRsyncOption(option), option).toMatch(why);
    expect(checkRsyncOption('--inplace', { deletion: 'versions' })).toMatch(/with "versions"/);
  });

  it('applies in the schema (naming the option) and drops refused sersync commonParams with a warning', () => {
    const parsed = pairSchema.safeParse({
      id: 'p',
      folder: '/srv/data',
      targets: [{ url: '/backup' }],
      rsync: { extraArgs: ['--numeric-ids', '--remove-source-files'] },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['rsync', 'extraArgs', 1]);
    expect(parsed.error?.issues[0]?.message).toMatch(/^--remove-source-files is refused: /);
    const translated = translateCommonParams('-artuzb --remove-source-files');
    expect(translated.extraArgs).toEqual(['-u', '-z']);
    expect(translated.warnings.join('\n')).toMatch(/--remove-source-files is dropped/);
    expect(translated.warnings.join('\n')).toMatch(/-b is dropped: -b \(--backup\)/);
  });
});

describe('folder rules', () => {
  it('expands ~ to the home directory and refuses what cannot be a folder to mirror', () => {
    expect(expandHome('~/Documents', '/home/ana')).toBe('/home/ana/Documents');
    expect(expandHome('~', '/home/ana/')).toBe('/home/ana/');
    expect(expandHome('/srv/~x', '/home/ana')).toBe('/srv/~x');
    expect(folderProblem('/home/ana/Documents')).toBeNull();
    expect(folderProblem('Documents')).toMatch(/not an absolute path/);
    expect(folderProblem('~/Documents')).toMatch(/starts with "~": write the full path/);
    expect(folderProblem('/')).toMatch(/whole system/);
    expect(folderProblem('//')).toMatch(/whole system/);
    for (const tree of ['/proc', '/proc/1', '/sys/class', '/dev', '/run/user/1000'])
      expect(folderProblem(tree), tree).toMatch(/a tree of the running system/);
    expect(folderProblem('/processed')).toBeNull();
    expect(folderProblem('/srv/a/../b')).toMatch(/"\." or "\.\." parts/);
    expect(folderProblem('/srv/caf\uFFFD')).toMatch(/not valid UTF-8 .* make a symlink with a UTF-8 name/);
  });

  it('finds the same folder and target twice, across pairs and within one', () => {
    const hits = duplicateTargets([
      { id: 'a', folder: '/srv/data/', targets: [{ url: 'rsync://nas/m' }] },
      { id: 'b', folder: '/srv/data', targets: [{ url: 'rsync://nas/other' }, { url: 'rsync://nas/m/' }] },
    ]);
    expect(hits).toEqual([
      {
        pairIndex: 1,
        targetIndex: 1,
        message: expect.stringMatching(/already mirrored to rsync:\/\/nas\/m\/ by pair "a"/),
      },
    ]);
  });
});

describe('passwords in target URLs', () => {
  it('are found, taken out and never shown', () => {
    expect(splitUrlPassword('rsync://syncer:s3cret@host/mod/sub')).toEqual({
      url: 'rsync://syncer@host/mod/sub',
      password: 's3cret',
    });
    expect(splitUrlPassword('syncer:p%40ss@host::mod')).toEqual({
      url: 'syncer@host::mod',
      password: 'p@ss',
    });
    expect(splitUrlPassword('rsync://syncer@host/mod').password).toBeNull();
    expect(splitUrlPassword('user@host:dir@x').password).toBeNull();
    expect(splitUrlPassword('/local/dir').password).toBeNull();
    expect(redactUrl('rsync://syncer:s3cret@host/mod')).toBe('rsync://syncer:***@host/mod');
    expect(() => parseTarget('rsync://syncer:s3cret@host/mod')).toThrow(
      /rsync:\/\/syncer:\*\*\*@host\/mod: the URL holds a password/,
    );
    try {
      parseTarget('rsync://syncer:s3cret@host/mod');
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
    const parsed = pairSchema.safeParse({
      id: 'p',
      folder: '/srv',
      targets: [{ url: 'rsync://u:s3cret@h/m' }],
    });
    expect(parsed.error?.issues[0]?.message).toMatch(/the URL holds a password/);
    expect(JSON.stringify(parsed.error?.issues)).not.toContain('s3cret');
  });

  it('targets: "host:::mod" is malformed, a ".." sub-path is refused', () => {
    expect(() => parseTarget('host:::mod')).toThrow(/is malformed: a daemon target has exactly two colons/);
    expect(() => parseTarget('rsync://host/mod/a/../../etc')).toThrow(/has a "\.\." part/);
    expect(() => parseTarget('host::mod/../x')).toThrow(/has a "\.\." part/);
    expect(parseTarget('rsync://host/mod/a..b').kind).toBe('daemon');
  });
});

describe('target ids', () => {
  it('are assigned once, at parse time, by position; a duplicate id is refused', () => {
    const parsed = pairSchema.parse({
      id: 'p',
      folder: '/srv',
      targets: [{ url: '/a' }, { id: 'nas', url: '/b' }, { url: '/c' }],
    });
    expect(parsed.targets.map((t) => t.id)).toEqual(['t1', 'nas', 't3']);
    const dup = pairSchema.safeParse({
      id: 'p',
      folder: '/srv',
      targets: [{ url: '/a' }, { id: 't1', url: '/b' }],
    });
    expect(dup.error?.issues[0]?.message).toBe('duplicate target id "t1"');
    expect(dup.error?.issues[0]?.path).toEqual(['targets', 1, 'id']);
  });
});

describe('validatePair', () => {
  let work: string;
  const pair = (over: Partial<PairConfig> & { folder: string }): PairConfig =>
    pairSchema.parse({ id: 'p', targets: [{ url: '/backup/x' }], ...over });

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'rsync-live-validate-'));
    await writeFile(path.join(work, 'file'), 'x');
  });
  afterAll(async () => rm(work, { recursive: true, force: true }));

  it('answers field-level issues: a missing folder, a file, a bad target, a bad exclude, a duplicate', async () => {
    expect(await validatePair(pair({ folder: work }))).toEqual([]);
    expect(await validatePair(pair({ folder: path.join(work, 'nope') }))).toEqual([
      { field: 'folder', message: expect.stringMatching(/does not exist: create it first \(mkdir -p .*\)/) },
    ]);
    expect(await validatePair(pair({ folder: path.join(work, 'file') }))).toEqual([
      { field: 'folder', message: expect.stringMatching(/is a file, not a directory/) },
    ]);
    const badTarget = pairSchema.parse({
      id: 'p',
      folder: work,
      targets: [{ url: '/ok' }, { url: 'h:::m' }],
    });
    expect(await validatePair(badTarget)).toEqual([
      { field: 'targets.1.url', message: expect.stringMatching(/is malformed/) },
    ]);
    const badExclude = pair({ folder: work, excludes: { regex: ['('], glob: [], defaultTemporary: true } });
    expect((await validatePair(badExclude))[0]?.field).toBe('excludes.regex');
    const inplace = pair({
      folder: work,
      deletion: 'versions',
      rsync: { extraArgs: ['--inplace'], timeoutSec: 60, contimeoutSec: 15, bwlimitKiB: 0 },
    });
    expect((await validatePair(inplace))[0]).toEqual({
      field: 'rsync.extraArgs.0',
      message: expect.stringMatching(/^--inplace is refused: with "versions"/),
    });
    const other = { ...pair({ folder: `${work}/` }), id: 'other' };
    expect(await validatePair(pair({ folder: work }), [other])).toEqual([
      {
        field: 'targets.0.url',
        message: expect.stringMatching(/already mirrored to \/backup\/x by pair "other"/),
      },
    ]);
    // The pair being edited is not its own duplicate.
    expect(await validatePair(pair({ folder: work }), [pair({ folder: work })])).toEqual([]);
  });
});
