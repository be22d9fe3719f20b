/**
 * The tenant key as clients send it, read the same way by the edge (edge/auth/middleware.ts) and
 * by the origin without an edge (origin/auth/tenant-keys.ts), where the route table says a
 * client family carries it (shared/routes.ts, `keyHeader` and `keyParam`):
 * - `Authorization: Bearer <key>` (OpenAI SDKs, the ollama npm client with a headers option, curl);
 * - `Authorization: Basic` with the key as password (clients that only take credentials in the
 *   URL, `https://u:key@host`);
 * - every header a route family declares (`keyHeader`), on any route;
 * - the query parameter of the route's own entry (`keyParam`), and only there: a key in a URL
 *   ends up in browser histories and proxy logs, so no other route invites it. The edge strips it
 *   before the URL goes on (`withoutKeyParam`), and no log line carries a query string.
 * Headers are read in that order; the query only when no header carries a key.
 */
import { KEY_HEADERS, routeFor } from './routes.ts';

/** The headers that carry a key: the edge drops them before forwarding (the origin trusts the signature). */
export { KEY_HEADERS } from './routes.ts';

/** The headers besides Authorization (read first, in its own ways) that carry the key itself. */
const PLAIN_KEY_HEADERS = KEY_HEADERS.slice(1);

/** What a client is told when it sent none. */
export const MISSING_KEY_MESSAGE = `no API key: send Authorization: Bearer <key>${PLAIN_KEY_HEADERS.length > 0 ? ` (or ${PLAIN_KEY_HEADERS.map((h) => `${h}: <key>`).join(', or ')})` : ''}`;

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function fromAuthorization(auth: string): string | null {
  const [scheme, value] = splitOnce(auth.trim(), ' ');
  const s = scheme.toLowerCase();
  if (s === 'bearer' && value.trim()) return value.trim();
  if (s === 'basic' && value.trim()) {
    let decoded: string;
    try {
      decoded = atob(value.trim());
    } catch {
      return null;
    }
    const idx = decoded.indexOf(':');
    return (idx >= 0 ? decoded.slice(idx + 1) : decoded) || null;
  }
  return null;
}

/**
 * The key a request presents, or null. `path` is the canonical path (shared/canonical-path.ts),
 * which picks the route and so whether its key parameter (`keyParam`) is read.
 */
export function extractKey(req: { method: string; url: string; headers: Headers }, path: string): string | null {
  const auth = req.headers.get('authorization');
  const fromAuth = auth ? fromAuthorization(auth) : null;
  if (fromAuth) return fromAuth;
  for (const h of PLAIN_KEY_HEADERS) {
    const v = req.headers.get(h)?.trim();
    if (v) return v;
  }
  const param = routeFor(req.method, path)?.keyParam;
  if (!param) return null;
  return new URL(req.url).searchParams.get(param)?.trim() || null;
}

/**
 * The query string to send on (`?…`, or empty) without the key parameter of `path`'s route, so a
 * key given in the URL stops at the edge like one given in a header.
 */
export function withoutKeyParam(method: string, path: string, search: string): string {
  const param = routeFor(method, path)?.keyParam;
  if (!param || !search) return search;
  const q = new URLSearchParams(search);
  if (!q.has(param)) return search;
  q.delete(param);
  const rest = q.toString();
  return rest ? `?${rest}` : '';
}
