import { describe, expect, it } from 'vitest';
import { relFromUtf8 } from '../../electron/engine/byte-path.js';
import { compileExcludes, literalRsyncPattern, rsyncExcludeArgs } from '../../electron/engine/excludes.js';

const config = (regex: string[] = [], glob: string[] = [], defaultTemporary = true) => ({
  regex,
  glob,
  defaultTemporary,
});

describe('excludes', () => {
  it('skips editor temporary files but never ordinary dotfiles', () => {
    const ex = compileExcludes(config());
    for (const tmp of ['4913', 'a/.notes.txt.swp', 'b~', 'd/.#lock', '.~lock.report.odt#'])
      expect(ex(relFromUtf8(tmp)), tmp).toBe(true);
    for (const keep of ['.htaccess', 'home/.bashrc', '.config/x', 'a4913', 'swp'])
      expect(ex(relFromUtf8(keep)), keep).toBe(false);
  });

  it('matches regexes against the whole relative path, at every depth through ancestors', () => {
    const ex = compileExcludes(config(['(.*)\\.svn', 'logs/.*\\.gz'], [], false));
    expect(ex(relFromUtf8('.svn'))).toBe(true);
    expect(ex(relFromUtf8('a/b/.svn/entries'))).toBe(true);
    expect(ex(relFromUtf8('logs/x.gz'))).toBe(true);
    expect(ex(relFromUtf8('old/logs/x.gz'))).toBe(false);
    expect(ex(relFromUtf8('a.svnx'))).toBe(false);
    // A name with a newline is still matched by ".*" (dotAll).
    expect(ex(relFromUtf8('logs/a\nb.gz'))).toBe(true);
  });

  it('globs without "/" match names anywhere, with "/" the relative path', () => {
    const ex = compileExcludes(config([], ['*.tmp', 'cache/**', 'build/'], false));
    expect(ex(relFromUtf8('x/y/z.tmp'))).toBe(true);
    expect(ex(relFromUtf8('cache/a/b'))).toBe(true);
    expect(ex(relFromUtf8('src/cache/a'))).toBe(false);
    expect(ex(relFromUtf8('build/out.o'))).toBe(true);
    // A trailing "/" does not anchor (rsync: --exclude=build/ matches a directory "build" at any depth).
    expect(ex(relFromUtf8('src/build/out.o'))).toBe(true);
    expect(rsyncExcludeArgs(['build/'])).toEqual(['--exclude=build']);
  });

  it('rejects an invalid regex with a message naming it', () => {
    expect(() => compileExcludes(config(['(unclosed']))).toThrow(
      /exclude regex "\(unclosed" is not a valid regular expression/,
    );
  });

  it('renders rsync patterns, escaping only when a wildcard is present', () => {
    expect(rsyncExcludeArgs(['*.swp', 'cache/**', '/top'])).toEqual([
      '--exclude=*.swp',
      '--exclude=/cache/**',
      '--exclude=/top',
    ]);
    expect(literalRsyncPattern('q]r')).toBe('/q]r');
    expect(literalRsyncPattern('a[1]*b')).toBe('/a\\[1]\\*b');
  });
});
