/**
 * The one path every check and the router see, at the edge and at the origin. A check on one
 * spelling of a path and routing on another is how `/v1/%6dodels` once reached the unfiltered
 * model list; so the path is decoded once, here, before anything looks at it, and what cannot be
 * decoded to one unambiguous path is refused rather than guessed at.
 *
 * Canonical form: dot segments resolved (the URL parser's job, `%2e` included), every
 * percent-escape decoded once, then only the characters outside RFC 3986's `pchar` set
 * re-encoded (uppercase hex). Decoding the canonical form again changes nothing, so the origin
 * behind the edge computes the same path from the same bytes, and the edge's signature covers it.
 */
import type { Env, MiddlewareHandler } from 'hono';
import { errors } from './errors.ts';

export type CanonicalPath = { ok: true; path: string } | { ok: false; reason: string };

/** RFC 3986 `pchar` minus `%`: left as they are; everything else is percent-encoded. */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

/** The path part of an absolute URL string exactly as sent (no query, no fragment). */
function rawPathOf(url: string): string {
  const start = pathStart(url);
  if (start === -1) return '/';
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const ch = url.charCodeAt(i);
    if (ch === 63 /* ? */ || ch === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

/** Where the path of an absolute URL string starts (its first `/` after the scheme), or -1. */
function pathStart(url: string): number {
  return url.indexOf('/', url.indexOf('://') + 3);
}

/**
 * Needs more than a copy: escapes, dots, backslashes or empty segments, from `from` up to the
 * query or fragment (or `end`).
 */
function needsWork(raw: string, from = 0, end = raw.length): boolean {
  for (let i = from; i < end; i++) {
    const ch = raw.charCodeAt(i);
    if (ch === 63 /* ? */ || ch === 35 /* # */) return false;
    if (ch === 37 /* % */ || ch === 92 /* \ */ || ch === 46 /* . */) return true;
    if (ch === 47 /* / */ && raw.charCodeAt(i + 1) === 47) return true;
    if (ch <= 0x20 || ch >= 0x7f) return true;
  }
  return false;
}

function encodeSegment(decoded: string): string {
  let out = '';
  for (const ch of decoded) out += PCHAR.test(ch) ? ch : encodeURIComponent(ch);
  return out;
}

/** The canonical path of `url` (an absolute URL, as `Request.url` is), or why there is none. */
export function canonicalPath(url: string): CanonicalPath {
  const raw = rawPathOf(url);
  if (!needsWork(raw)) return { ok: true, path: raw };
  let pathname: string;
  try {
    // The WHATWG parser resolves `.`/`..` (and `%2e`) segments and reads `\` as `/`, as browsers do.
    pathname = new URL(raw, 'http://h').pathname;
  } catch {
    return { ok: false, reason: 'the path is not a valid URL path' };
  }
  const segments = pathname.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '' && i < segments.length - 1) return { ok: false, reason: 'the path has an empty segment (//)' };
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      return { ok: false, reason: `bad percent-encoding in path segment '${seg.slice(0, 64)}' (each % must start a valid UTF-8 escape)` };
    }
    if (decoded.includes('/') || decoded.includes('\\')) return { ok: false, reason: 'an encoded slash (%2F or %5C) in the path would change which route it names' };
    if (decoded.includes('%')) return { ok: false, reason: 'double percent-encoding (%25) in the path is not accepted' };
    if (decoded === '.' || decoded === '..') return { ok: false, reason: 'an encoded dot segment in the path is not accepted' };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return { ok: false, reason: 'control characters in the path are not accepted' };
    segments[i] = encodeSegment(decoded);
  }
  return { ok: true, path: segments.join('/') };
}

/**
 * For `new Hono({ getPath })`: routes on the canonical path. A path with no canonical form is
 * routed as sent (it matches only the catch-alls), and `rejectUncanonicalPath` answers it first.
 */
export function routingPath(req: Request): string {
  const c = canonicalPath(req.url);
  return c.ok ? c.path : rawPathOf(req.url);
}

/** First on every app: a path with no canonical form is a 400 naming `path`, before any check. */
export function rejectUncanonicalPath<E extends Env>(): MiddlewareHandler<E> {
  return (c, next) => {
    const url = c.req.url;
    // A path already in canonical form (nearly every one) is read in place, not copied out again.
    const start = pathStart(url);
    if (start !== -1 && !needsWork(url, start)) return next();
    const r = canonicalPath(url);
    if (!r.ok) throw errors.badRequest(`invalid request path: ${r.reason}`, 'path', 'invalid_path');
    return next();
  };
}
