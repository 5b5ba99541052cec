// The add/edit form's daemon URL builder: what it builds the engine parses back to the same target, and
// stored URLs split back into the form's fields (ssh and local targets stay "advanced" URLs).
import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../electron/engine/index.js';
import { buildDaemonUrl, parseDaemonUrl, type DaemonFields } from '../../renderer/src/lib/target-url.js';

const fields = (over: Partial<DaemonFields>): DaemonFields => ({
  host: 'nas.lan',
  port: 873,
  module: 'data',
  subPath: '',
  user: '',
  ...over,
});

describe('daemon target URL fields', () => {
  it('builds rsync:// URLs the engine accepts, leaving out the default port', () => {
    const cases: [Partial<DaemonFields>, string][] = [
      [{}, 'rsync://nas.lan/data'],
      [{ user: 'backup', port: 8730 }, 'rsync://backup@nas.lan:8730/data'],
      [{ subPath: '/ana/docs/' }, 'rsync://nas.lan/data/ana/docs'],
      [{ host: '::1', port: 10873, user: 'u' }, 'rsync://u@[::1]:10873/data'],
      [{ host: ' 127.0.0.1 ', module: ' m ', port: null }, 'rsync://127.0.0.1/m'],
    ];
    for (const [over, url] of cases) {
      expect(buildDaemonUrl(fields(over))).toBe(url);
      expect(parseTarget(url).kind).toBe('daemon');
    }
    expect(parseTarget(buildDaemonUrl(fields({ user: 'backup', port: 8730, subPath: 'a/b' })))).toEqual({
      kind: 'daemon',
      user: 'backup',
      host: 'nas.lan',
      port: 8730,
      module: 'data',
      path: 'a/b',
    });
  });

  it('splits stored daemon URLs back into fields, and leaves others alone', () => {
    expect(parseDaemonUrl('rsync://backup@nas.lan:8730/data/ana')).toEqual(
      fields({ user: 'backup', port: 8730, subPath: 'ana' }),
    );
    expect(parseDaemonUrl('backup@nas.lan::data/x/y')).toEqual(fields({ user: 'backup', subPath: 'x/y' }));
    expect(parseDaemonUrl('rsync://[::1]/data')).toEqual(fields({ host: '::1' }));
    expect(parseDaemonUrl('user@host:/srv/backup')).toBeNull();
    expect(parseDaemonUrl('/mnt/backup')).toBeNull();
    for (const url of ['rsync://backup@nas.lan:8730/data/ana', 'rsync://nas.lan/data']) {
      expect(buildDaemonUrl(parseDaemonUrl(url) as DaemonFields)).toBe(url);
    }
  });
});
