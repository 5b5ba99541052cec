// Request checks for the headless server: the token (constant-time compare), the Host allow-list (defence
// against DNS rebinding), the same-origin rule for state-changing requests and WebSocket upgrades, and the
// security headers every response carries. Pure functions over header strings; no I/O.
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** Compares two tokens in constant time (both are hashed first, so their lengths leak nothing either). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

function bracketed(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host.toLowerCase();
}

/** Whether the server listens on every interface (then any IP literal is a legitimate Host). */
export function isWildcard(host: string): boolean {
  return WILDCARDS.has(host);
}

/** Whether a host is loopback-only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (net.isIPv4(bare) && bare.startsWith('127.'));
}

/**
 * Whether a Host header names this server: the listening host, localhost, 127.0.0.1 or [::1], with the
 * listening port. A DNS-rebinding page sends its own host name, which is refused. On a wildcard address any IP
 * literal is accepted too: an IP literal cannot be rebound.
 */
export function hostAllowed(header: string | undefined, listen: ListenAddress): boolean {
  const match = HOST_HEADER.exec(header ?? '');
  if (!match) return false;
  const name = (match[1] as string).toLowerCase();
  const port = match[2] === undefined ? 80 : Number(match[2]);
  if (port !== listen.port) return false;
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]', bracketed(listen.host)]);
  if (allowed.has(name)) return true;
  return isWildcard(listen.host) && net.isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

/** Whether an Origin header (if any) is this server's own origin, as named by the (already checked) Host. */
export function originAllowed(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${host.toLowerCase()}`;
}

/** Headers for every response; `host` is the checked Host header, used for the WebSocket connect-src. */
export function securityHeaders(host: string): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://${host}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
