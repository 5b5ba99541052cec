// Which pages may call the API or be navigated to, the links handed to the browser, and the window's CSP.
import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  isExternalLink,
  isTrustedUrl,
  rendererOrigin,
} from '../../../electron/main/trust.js';

const index = '/opt/Rsync Live/resources/app.asar/renderer/dist/index.html';

describe('isTrustedUrl', () => {
  const packaged = rendererOrigin(index);

  it('accepts our index.html, with any query or fragment', () => {
    expect(packaged.indexUrl).toBe('file:///opt/Rsync%20Live/resources/app.asar/renderer/dist/index.html');
    expect(isTrustedUrl(packaged.indexUrl, packaged)).toBe(true);
    expect(isTrustedUrl(`${packaged.indexUrl}#/pairs/photos`, packaged)).toBe(true);
    expect(isTrustedUrl(`${packaged.indexUrl}?x=1`, packaged)).toBe(true);
  });

  it('refuses other files, other schemes and garbage', () => {
    expect(
      isTrustedUrl('file:///opt/Rsync%20Live/resources/app.asar/renderer/dist/other.html', packaged),
    ).toBe(false);
    expect(isTrustedUrl('file:///tmp/index.html', packaged)).toBe(false);
    expect(
      isTrustedUrl('file://evil-host/opt/Rsync%20Live/resources/app.asar/renderer/dist/index.html', packaged),
    ).toBe(false);
    expect(isTrustedUrl('https://example.com/', packaged)).toBe(false);
    expect(isTrustedUrl('http://localhost:5173/', packaged)).toBe(false);
    expect(isTrustedUrl('data:text/html,<p>hi', packaged)).toBe(false);
    expect(isTrustedUrl('about:blank', packaged)).toBe(false);
    expect(isTrustedUrl('not a url', packaged)).toBe(false);
    expect(isTrustedUrl(null, packaged)).toBe(false);
    expect(isTrustedUrl(undefined, packaged)).toBe(false);
  });

  it('in development also accepts the dev server origin, and only that origin', () => {
    const dev = rendererOrigin(index, 'http://127.0.0.1:5173/');
    expect(isTrustedUrl('http://127.0.0.1:5173/', dev)).toBe(true);
    expect(isTrustedUrl('http://127.0.0.1:5173/src/main.ts?t=1', dev)).toBe(true);
    expect(isTrustedUrl('http://127.0.0.1:5174/', dev)).toBe(false);
    expect(isTrustedUrl('http://localhost:5173/', dev)).toBe(false);
    expect(isTrustedUrl('https://127.0.0.1:5173/', dev)).toBe(false);
    expect(isTrustedUrl(dev.indexUrl, dev)).toBe(true);
  });
});

describe('isExternalLink', () => {
  it('hands only http(s) links to the browser', () => {
    expect(isExternalLink('https://rsync.samba.org/')).toBe(true);
    expect(isExternalLink('http://example.com/x')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('smb://nas/share')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(isExternalLink('nonsense')).toBe(false);
  });
});

describe('contentSecurityPolicy', () => {
  const directives = (policy: string): Map<string, string> =>
    new Map(policy.split('; ').map((part) => [part.split(' ')[0] ?? '', part.split(' ').slice(1).join(' ')]));

  it('allows only our own scripts, no eval, no plugins, no framing', () => {
    const csp = directives(contentSecurityPolicy());
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('connect-src')).toBe("'self'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(contentSecurityPolicy()).not.toContain('unsafe-eval');
    expect(csp.get('script-src')).not.toContain('unsafe-inline');
  });

  it('adds the dev server WebSocket in development only', () => {
    expect(directives(contentSecurityPolicy('http://127.0.0.1:5173')).get('connect-src')).toBe(
      "'self' ws://127.0.0.1:5173",
    );
  });
});
