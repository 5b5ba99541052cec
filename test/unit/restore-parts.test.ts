// The pure parts of restore: the --list-only parser on captured real output (rsync 3.5.0 client; a 3.1.2
// client prints the same bytes), the filter rules and wildcard escaping, the CLI's name escapes, and the
// quiet paths that keep a restore from being mirrored back (on the fake clock).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RelPath } from '../../electron/engine/byte-path.js';
import { escapeWildcards, literalPattern, sourceArg } from '../../electron/engine/restore/access.js';
import { localState } from '../../electron/engine/restore/compare.js';
import { childrenRules, treeRules, versionRules } from '../../electron/engine/restore/filter-rules.js';
import { parseListLine, parseListOutput } from '../../electron/engine/restore/list-output.js';
import { cleanRequestPath } from '../../electron/engine/restore/pull.js';
import { isTempOf, QuietPaths } from '../../electron/engine/restore/quiet-paths.js';
import { escapeName, unescapeArg } from '../../electron/cli/byte-names.js';
import { FakeClock } from '../helpers/fake-clock.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/restore');
const rel = (s: string) => s as RelPath;

describe('rsync --list-only parser', () => {
  const stdout = readFileSync(path.join(fixtures, 'list-root-3.5.0.txt')).toString('latin1');
  const entries = parseListOutput(stdout);

  it('reads every entry but ".", names byte-exact', () => {
    expect(entries.map((e) => e.path)).toEqual([
      '#hash',
      '-lead',
      ';semi',
      '[br]*',
      'a -> b',
      'a file.txt',
      'back\\#123',
      'bad\xff\xfe',
      'link',
      'new\nline',
      'tab\there',
      Buffer.from('ünï').toString('latin1'),
      '.rsync-live-versions',
      '[x]*',
      'a\\[b',
      'bs\\dir',
      'sub dir',
      'x',
      'xy',
    ]);
    expect(entries.find((e) => e.path === 'bad\xff\xfe')?.name).toBe('bad\uFFFD\uFFFD');
  });

  it('reads kinds, sizes and UTC times', () => {
    const file = entries.find((e) => e.path === 'a file.txt');
    expect(file).toMatchObject({ kind: 'file', size: 12345, mtimeMs: Date.UTC(2026, 11, 4, 15, 31, 41) });
    expect(entries.find((e) => e.path === 'link')?.kind).toBe('symlink');
    expect(entries.find((e) => e.path === 'sub dir')?.kind).toBe('dir');
  });

  it('takes sizes with thousands separators (human-readable output) and a base directory', () => {
    const human = readFileSync(path.join(fixtures, 'list-human-3.5.0.txt'), 'latin1');
    expect(parseListLine(human.split('\n')[0] as string).size).toBe(4096);
    expect(parseListOutput(human, rel('docs')).map((e) => e.path)).toEqual(['docs/#hash', 'docs/-lead']);
  });
});

describe('rules and arguments', () => {
  it('escapes wildcards only where rsync would match them', () => {
    expect(literalPattern('a b\\c')).toBe('a b\\c');
    expect(literalPattern('[x]*')).toBe('\\[x\\]\\*');
    expect(escapeWildcards('a\\[b')).toBe('a\\\\\\[b');
  });

  it('lists one directory, the requested trees and a path in every versions date', () => {
    expect(childrenRules(rel('a/[b]'))).toEqual(['+ /a/', '+ /a/\\[b\\]', '+ /a/\\[b\\]/*', '- *']);
    expect(treeRules([rel('x/y')])).toEqual(['+ /x/', '+ /x/y', '+ /x/y/**', '- *']);
    expect(versionRules(rel('d/f*'))).toEqual(['+ /*/', '+ /*/d/', '+ /*/d/f\\*', '- *']);
  });

  it('pulls from the target root or a versions date, with the module path', () => {
    const daemon = { kind: 'daemon', user: 'u', host: 'h', port: 873, module: 'm', path: 'sub' } as const;
    expect(sourceArg(daemon, '')).toBe('rsync://u@h:873/m/sub/');
    expect(sourceArg(daemon, '.rsync-live-versions/2026-01-02')).toBe(
      'rsync://u@h:873/m/sub/.rsync-live-versions/2026-01-02/',
    );
    expect(sourceArg({ kind: 'local', path: '/backup' }, '')).toBe('/backup/');
  });

  it('cleans requested paths and refuses to climb out of the folder', () => {
    expect(cleanRequestPath('./a//b/')).toBe('a/b');
    expect(cleanRequestPath('.')).toBe('');
    expect(() => cleanRequestPath('a/../../b')).toThrow(/"\.\." part/);
    expect(() => cleanRequestPath('/etc')).toThrow(/absolute/);
  });

  it('compares to the second: newer locally, newer on the backup, same', () => {
    const entry = { kind: 'file' as const, size: 3, mtimeMs: 10_000 };
    const stat = (mtimeMs: number, size = 3) =>
      ({ mtimeMs, size, isFile: () => true, isDirectory: () => false, isSymbolicLink: () => false }) as never;
    expect(localState(entry, null)).toBe('missing');
    expect(localState(entry, stat(10_900))).toBe('same');
    expect(localState(entry, stat(11_000))).toBe('newer-locally');
    expect(localState(entry, stat(9_000))).toBe('newer-on-backup');
    expect(localState(entry, stat(10_000, 4))).toBe('differs');
  });
});

describe('CLI names', () => {
  it('prints control and non-UTF-8 bytes as \\#ooo and reads them back', () => {
    for (const name of [
      'new\nline',
      'bad\xff\xfe',
      'back\\#123',
      'plain [x]*',
      Buffer.from('ünï').toString('latin1'),
    ]) {
      expect(unescapeArg(escapeName(name))).toBe(name);
    }
    expect(escapeName('new\nline')).toBe('new\\#012line');
    expect(escapeName(Buffer.from('ünï').toString('latin1'))).toBe('ünï');
  });
});

describe('quiet paths', () => {
  it('covers restored entries, their rsync temp files and a restored directory, until the settle ends', () => {
    const clock = new FakeClock();
    const quiet = new QuietPaths(clock);
    const hold = quiet.begin();
    hold.add([
      { path: rel('docs/a.txt'), name: 'a.txt', kind: 'file', size: 1, mtimeMs: 0 },
      { path: rel('new'), name: 'new', kind: 'dir', size: 1, mtimeMs: 0 },
    ]);
    expect(quiet.covers(rel('docs/a.txt'))).toBe(true);
    expect(quiet.covers(rel('docs/.a.txt.Xy12Ab'))).toBe(true);
    expect(quiet.covers(rel('docs/a.txt'), rel('docs/.a.txt.Xy12Ab'))).toBe(true);
    expect(quiet.covers(rel('new/deep/file'))).toBe(true);
    expect(quiet.covers(rel('docs/b.txt'))).toBe(false);
    expect(quiet.covers(rel('docs/a.txt'), rel('docs/other'))).toBe(false);
    let released: string[] = [];
    hold.end(1_000, (entries) => (released = entries.map((e) => e.path)));
    clock.advance(999);
    expect(quiet.active).toBe(true);
    clock.advance(1);
    expect(quiet.active).toBe(false);
    expect(quiet.covers(rel('docs/a.txt'))).toBe(false);
    expect(released).toEqual(['docs/a.txt', 'new']);
    expect(isTempOf('.a.txt.abcdef', 'a.txt')).toBe(true);
    expect(isTempOf('.b.txt.abcdef', 'a.txt')).toBe(false);
  });
});
