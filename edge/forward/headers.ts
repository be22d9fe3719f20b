/**
 * Header hygiene at the edge, both directions: hop-by-hop headers never cross a hop; the
 * internal `x-puerta-*` namespace is only ever written by the edge (a client cannot spoof a
 * tenant or a country) and never shown to clients; client credentials stop at the edge, because
 * the origin trusts the signature, not the key.
 */
import { KEY_HEADERS } from '../../shared/api-key.ts';
import { HOP_BY_HOP, INTERNAL_HEADER_PREFIX, REQUEST_ID_HEADER } from '../../shared/headers.ts';

const CREDENTIALS = new Set([...KEY_HEADERS, 'cookie']);

export function isInternal(name: string): boolean {
  return name.toLowerCase().startsWith(INTERNAL_HEADER_PREFIX);
}

/** Also drops headers named by the request's own `Connection` header (RFC 9110 §7.6.1). */
function connectionListed(headers: Headers): Set<string> {
  const c = headers.get('connection');
  return new Set(c ? c.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : []);
}

export function originRequestHeaders(client: Headers, requestId: string, signed: Record<string, string>): Headers {
  const listed = connectionListed(client);
  const out = new Headers();
  for (const [name, value] of client) {
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || listed.has(n) || isInternal(n) || CREDENTIALS.has(n)) continue;
    if (n === 'accept-encoding' || n.startsWith('cf-') || n.startsWith('fastly-') || n === 'mf-cf-blob') continue;
    out.set(n, value);
  }
  // Compression stays off on this hop: SSE must never be compressed, and the origin is regional.
  out.set('accept-encoding', 'identity');
  out.set(REQUEST_ID_HEADER, requestId);
  for (const [k, v] of Object.entries(signed)) out.set(k, v);
  return out;
}

export function clientResponseHeaders(origin: Headers, requestId: string): Headers {
  const listed = connectionListed(origin);
  const out = new Headers();
  for (const [name, value] of origin) {
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || listed.has(n) || isInternal(n)) continue;
    if (n === 'set-cookie') continue;
    out.append(n, value);
  }
  out.set(REQUEST_ID_HEADER, requestId);
  return out;
}
