// Which pages count as the app, free of Electron: the renderer's file:// index (or, in development only, the
// Vite dev server's origin) may call the API and be navigated to; everything else is refused. Also the
// Content-Security-Policy for the window. ipc.ts and window.ts apply these; unit tests check them.
import { pathToFileURL } from 'node:url';

export interface RendererOrigin {
  /** file:// URL of renderer/dist/index.html. */
  indexUrl: string;
  /** http://localhost:PORT of the Vite dev server, or null (packaged builds never set it). */
  devServerUrl: string | null;
}

export function rendererOrigin(indexPath: string, devServerUrl: string | null = null): RendererOrigin {
  return {
    indexUrl: pathToFileURL(indexPath).href,
    devServerUrl: devServerUrl ? new URL(devServerUrl).origin : null,
  };
}

function parse(url: string | null | undefined): URL | null {
  if (!url) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The app's own page: our index.html exactly (any query or #fragment), or the dev server's origin. */
export function isTrustedUrl(url: string | null | undefined, origin: RendererOrigin): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (parsed.protocol === 'file:') {
    const index = new URL(origin.indexUrl);
    return parsed.host === index.host && parsed.pathname === index.pathname;
  }
  if (origin.devServerUrl === null) return false;
  return (
    (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === origin.devServerUrl
  );
}

/** Links the renderer may hand to the system browser (documentation and the like), never file: or custom schemes. */
export function isExternalLink(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && (parsed.protocol === 'https:' || parsed.protocol === 'http:');
}

/**
 * The window's Content-Security-Policy. The built renderer needs only its own scripts and styles; the dev
 * server adds its WebSocket (hot reload). Svelte's scoped styles are files, but transitions write inline
 * styles, hence 'unsafe-inline' for styles only.
 */
export function contentSecurityPolicy(devServerUrl: string | null = null): string {
  const dev = devServerUrl ? new URL(devServerUrl) : null;
  const devSocket = dev ? ` ${dev.protocol === 'https:' ? 'wss:' : 'ws:'}//${dev.host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${devSocket}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
