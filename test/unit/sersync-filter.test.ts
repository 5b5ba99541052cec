// <filter><exclude expression> as sersync 2.5.4 applied it (Inotify.cpp): an event's path is tested as "name"
// at the top and "/sub/name" deeper (FilterExclude), folders at start-up as "sub/dir/" (AddWatch), and an
// excluded folder is never watched, so nothing below it is synced. A table built from those rules and the
// stock examples, checked against rsync-live's exclude matcher for the imported config.
import { describe, expect, it } from 'vitest';
import { relFromUtf8 } from '../../electron/engine/byte-path.js';
import { compileExcludes } from '../../electron/engine/excludes.js';
import { importSersync } from '../../electron/sersync/map.js';
import { filterNote, toJsRegex } from '../../electron/sersync/patterns.js';
import { stockConfxml } from '../helpers/sersync-config.js';

/** sersync's rule, written from Inotify.cpp: boost::regex_match on each form, the path or a folder above it. */
function sersyncExcludes(expression: string, rel: string): boolean {
  const re = new RegExp(`^(?:${toJsRegex(expression)})$`, 'u');
  const eventForm = (p: string): string => (p.includes('/') ? `/${p}` : p);
  if (re.test(eventForm(rel))) return true;
  const parts = rel.split('/');
  for (let n = 1; n < parts.length; n++) {
    const dir = parts.slice(0, n).join('/');
    // A folder that existed at start-up was tested as "dir/"; one created later as its event form.
    if (re.test(`${dir}/`) || re.test(eventForm(dir))) return true;
  }
  return false;
}

// [expression, relative path, excluded by sersync]
const TABLE: [string, string, boolean][] = [
  // The stock examples.
  ['(.*)\\.svn', '.svn', true],
  ['(.*)\\.svn', 'a/b/.svn/entries', true],
  ['(.*)\\.svn', 'x.svnx', false],
  ['(.*)\\.gz', 'x.gz', true],
  ['(.*)\\.gz', 'deep/er/x.gz', true],
  ['(.*)\\.gz', 'x.gzip', false],
  ['^info/*', 'info', true],
  ['^info/*', 'info/a/b.txt', true],
  ['^info/*', 'sub/info/x', false],
  ['^info/*', 'information', false],
  ['^static/*', 'static/x', true],
  ['^static/*', 'a/static', false],
  // Deeper entries carry a leading "/": the examples.
  ['(.*)/tmp/(.*)', 'tmp/f', true],
  ['(.*)/tmp/(.*)', 'a/tmp/f', true],
  ['(.*)/tmp/(.*)', 'tmp', false],
  ['/static/(.*)', 'static/x', true],
  ['/static/(.*)', 'static/x/y', true],
  ['/static/(.*)', 'static', false],
  ['/static/(.*)', 'a/static/x', false],
  // Written without the leading "/": matches only the start-up folder form, or nothing.
  ['static/(.*)', 'static/x', true],
  ['logs/[[:digit:]]+\\.log', 'logs/12.log', false],
  ['(.*)/cache/', 'a/cache/f', true],
  // A top-level name is tested without "/".
  ['[^/]*\\.tmp', 'x.tmp', true],
  ['[^/]*\\.tmp', 'a/x.tmp', false],
  ['(.*)\\.tmp', 'a/x.tmp', true],
];

describe('<filter> excludes: what sersync excluded, rsync-live excludes', () => {
  it.each(TABLE)('%s on %s → %s', (expression, rel, expected) => {
    expect(sersyncExcludes(expression, rel)).toBe(expected);
    const xml = stockConfxml({
      filter: `    <filter start="true">\n\t<exclude expression="${expression}"></exclude>\n    </filter>`,
    });
    const pair = importSersync(xml, { startupSync: false }).pairs[0];
    expect(pair?.excludes.regexForm).toBe('sersync');
    expect(compileExcludes(pair!.excludes)(relFromUtf8(rel))).toBe(expected);
  });

  it('warns where a pattern means something else than it seems', () => {
    expect(filterNote('(.*)\\.svn')).toBeNull();
    expect(filterNote('^info/*')).toBeNull();
    expect(filterNote('(.*)/tmp/(.*)')).toBeNull();
    expect(filterNote('/static/(.*)')).toBeNull();
    expect(filterNote('static/(.*)')).toMatch(
      /^<exclude expression="static\/\(\.\*\)"> matches a folder only in the form "static\/x\/", which sersync tested once, for folders that existed at start-up/,
    );
    expect(filterNote('(.*)/cache/')).toMatch(/matches a folder only in the form "x\/cache\/"/);
    expect(filterNote('logs/[[:digit:]]+\\.log')).toBe(
      '<exclude expression="logs/[[:digit:]]+\\.log"> matches nothing: sersync tested a path below the top as "/logs/0.log" (with a leading "/"), so it never excluded "logs/0.log", and rsync-live keeps that. To exclude it, write "/logs/[[:digit:]]+\\.log"',
    );
    const xml = stockConfxml({
      filter: '    <filter start="true">\n\t<exclude expression="static/(.*)"></exclude>\n    </filter>',
    });
    expect(importSersync(xml).warnings.some((w) => w.includes('matches a folder only in the form'))).toBe(
      true,
    );
  });
});
