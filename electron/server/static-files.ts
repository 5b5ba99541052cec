// Serves the built renderer (renderer/dist) for the headless server: content types, cache headers, no
// directory traversal (decoded path checked, then resolved and realpath'd under the root), index.html for
// unknown paths without an extension, and a plain "run npm run build" page when there is no build.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rsync Live</title></head>
<body><h1>Rsync Live</h1>
<p>The web UI has not been built. Run <code>npm run build</code> in the rsync-live folder, then reload this page.</p>
<p>The API under <code>/api/</code> works without it.</p></body></html>
`;

/**
 * renderer/dist at the repository root, found from this module: ../../../renderer/dist from the compiled file
 * (dist/electron/server/static-files.js), ../../renderer/dist from the source (electron/server, under vitest).
 */
export function defaultStaticDir(moduleUrl: string = import.meta.url): string {
  const here = path.dirname(fileURLToPath(moduleUrl));
  const compiled = path.basename(path.resolve(here, '../..')) === 'dist';
  return path.resolve(here, compiled ? '../../../renderer/dist' : '../../renderer/dist');
}

type Reply = (status: number, type: string, body: string) => void;

/** The file a request path names under `root`, or an error status (400 for malformed or escaping paths). */
export function resolveStaticPath(root: string, rawPath: string): { file: string } | { status: 400 } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).some((segment) => segment === '..'))
    return { status: 400 };
  const file = path.resolve(root, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`);
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) return { status: 400 };
  return { file };
}

async function regularFile(root: string, file: string): Promise<{ real: string; size: number } | null> {
  try {
    const real = await fs.realpath(file);
    const realRoot = await fs.realpath(root);
    if (real !== realRoot && !real.startsWith(`${realRoot}${path.sep}`)) return null;
    const stat = await fs.stat(real);
    return stat.isFile() ? { real, size: stat.size } : null;
  } catch {
    return null;
  }
}

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: { real: string; size: number },
  headers: Record<string, string>,
): void {
  const type = CONTENT_TYPES[path.extname(file.real).toLowerCase()] ?? 'application/octet-stream';
  const immutable = /[/\\]assets[/\\]/.test(file.real) && !file.real.endsWith('.html');
  res.writeHead(200, {
    ...headers,
    'Content-Type': type,
    'Content-Length': String(file.size),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file.real);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** Answers a GET/HEAD for a non-API path. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string | null,
  rawPath: string,
  headers: Record<string, string>,
): Promise<void> {
  const reply: Reply = (status, type, body) => {
    res.writeHead(status, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (root === null) return reply(200, 'text/html; charset=utf-8', MISSING_BUILD);
  const resolved = resolveStaticPath(root, rawPath);
  if ('status' in resolved) return reply(resolved.status, 'text/plain; charset=utf-8', 'bad path\n');
  const index = await regularFile(root, path.join(root, 'index.html'));
  if (!index) return reply(200, 'text/html; charset=utf-8', MISSING_BUILD);
  const found = resolved.file === root ? index : await regularFile(root, resolved.file);
  if (found) return sendFile(req, res, found, headers);
  // Client-side routes fall back to the app; a missing asset (it has an extension) is a plain 404.
  if (path.extname(resolved.file) !== '') return reply(404, 'text/plain; charset=utf-8', 'not found\n');
  return sendFile(req, res, index, headers);
}
