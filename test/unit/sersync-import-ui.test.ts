// The import view's words: located messages split into line and text, the line selected by "Show line", and
// each preview line (deletions, excludes, full syncs, rsync options, the Import button), plus reading a picked
// file as UTF-8 or, when it is not, Latin-1.
import { describe, expect, it } from 'vitest';
import { pairSchema } from '../../electron/shared/config.js';
import {
  cronText,
  deletionText,
  excludesText,
  fullSyncText,
  importLabel,
  lineRange,
  locate,
  readConfigFile,
  rsyncText,
  whereText,
} from '../../renderer/src/lib/sersync-import.js';

describe('sersync import texts', () => {
  it('splits located messages into file, line, column and text', () => {
    const error = locate('broken.xml:25:45: <remote> has no attribute "nmae": it takes "ip"', 'broken.xml');
    expect(error).toEqual({
      file: 'broken.xml',
      line: 25,
      column: 45,
      text: '<remote> has no attribute "nmae": it takes "ip"',
    });
    expect(whereText(error)).toBe('Line 25, column 45');
    const warning = locate('confxml.xml:3: <host> inside <head> is ignored: a field', 'confxml.xml');
    expect(warning).toMatchObject({
      line: 3,
      column: null,
      text: '<host> inside <head> is ignored: a field',
    });
    expect(whereText(warning)).toBe('Line 3');
    expect(locate('web.xml: the id "www" is taken: /srv/www is imported as "www-2"', 'web.xml')).toEqual({
      file: 'web.xml',
      line: null,
      column: null,
      text: 'the id "www" is taken: /srv/www is imported as "www-2"',
    });
    expect(locate('the request failed', 'confxml.xml')).toMatchObject({
      line: null,
      text: 'the request failed',
    });
  });

  it('finds a line in the text', () => {
    const text = 'one\ntwo\nthree';
    expect(lineRange(text, 1)).toEqual([0, 3]);
    expect(text.slice(...lineRange(text, 2))).toBe('two');
    expect(text.slice(...lineRange(text, 3))).toBe('three');
    expect(lineRange(text, 9)).toEqual([text.length, text.length]);
  });

  it('describes a pair for the preview', () => {
    const pair = pairSchema.parse({
      id: 'www',
      folder: '/srv/www',
      targets: [{ url: 'rsync://127.0.0.1/www' }],
      excludes: { regex: ['(.*)\\.svn', '(.*)\\.gz'] },
      fullSync: { schedule: '0 */8 * * *', excludes: ['*.php'] },
      rsync: { extraArgs: ['-u', '-z'], timeoutSec: 100 },
    });
    expect(excludesText(pair)).toBe('2 patterns (regular expressions); 1 more for scheduled full syncs only');
    expect(excludesText(pairSchema.parse({ ...pair, excludes: {}, fullSync: {} }))).toBe('none');
    expect(fullSyncText(pair.fullSync)).toBe('at start, then every 8 hours (0 */8 * * *)');
    expect(fullSyncText({ onStart: true, schedule: null, excludes: [] })).toBe('at start only');
    expect(fullSyncText({ onStart: false, schedule: null, excludes: [] })).toBe('none');
    expect(rsyncText(pair.rsync)).toBe('-u -z; I/O timeout 100 s');
    expect(deletionText('mirror')).toBe('Mirror: deletions are made on the targets too');
    expect(deletionText('keep')).toBe('Keep: nothing is ever deleted on the targets');
    expect(importLabel(1)).toBe('Import 1 folder');
    expect(importLabel(3)).toBe('Import 3 folders');
    expect(importLabel(0)).toBe('Nothing to import');
  });

  it('says every schedule the import makes in words', () => {
    expect(cronText('*/5 * * * *')).toBe('every 5 minutes (*/5 * * * *)');
    expect(cronText('0 * * * *')).toBe('every hour (0 * * * *)');
    expect(cronText('0 */2 * * *')).toBe('every 2 hours (0 */2 * * *)');
    expect(cronText('0 0 * * *')).toBe('every day at midnight (0 0 * * *)');
    expect(cronText('0 0 * * 0')).toBe('every Sunday at midnight (0 0 * * 0)');
    expect(cronText('15 3 * * 1-5')).toBe('cron 15 3 * * 1-5');
  });

  it('reads a picked file as UTF-8, or as Latin-1 when it is not UTF-8', async () => {
    const utf8 = new File(['\uFEFF<head><sersync><localpath watch="/srv/数据"/></sersync></head>'], 'a.xml');
    expect(await readConfigFile(utf8)).toBe('<head><sersync><localpath watch="/srv/数据"/></sersync></head>');
    const latin1 = new File(
      [Uint8Array.from([...Buffer.from('<head watch="/srv/a'), 0xf1, ...Buffer.from('o"/>')])],
      'b.xml',
    );
    expect(await readConfigFile(latin1)).toBe('<head watch="/srv/año"/>');
  });
});
