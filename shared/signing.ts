/**
 * Edge → origin request signing. HMAC-SHA256 with WebCrypto only, so the same code runs in
 * Fastly Compute (js-compute-runtime), workerd and Node.
 *
 * The signature covers method, path+query, timestamp, nonce, tenant, request id, body digest,
 * client country and POP: every fact the origin acts on. The nonce (not the request id, which a
 * client may choose and reuse on retries) is what the origin remembers to refuse replays inside
 * the clock-skew window; outside it the timestamp alone refuses them.
 */

export const SIGNATURE_SCHEME = 'v1';

/** Internal headers (all under shared/headers.ts INTERNAL_HEADER_PREFIX, so clients can never set them). */
export const EDGE_HEADERS = {
  tenant: 'x-puerta-tenant',
  timestamp: 'x-puerta-timestamp',
  nonce: 'x-puerta-nonce',
  bodyDigest: 'x-puerta-body-sha256',
  country: 'x-puerta-client-country',
  pop: 'x-puerta-pop',
  /** The tenant's model allow-list (comma-separated), sent where the origin must apply it itself: a batch's lines. */
  models: 'x-puerta-models',
  signature: 'x-puerta-signature',
} as const;

export interface SignedFields {
  method: string;
  /** Path and query exactly as sent to the origin (`/v1/chat/completions?x=1`). */
  path: string;
  /** Unix milliseconds at signing. */
  timestamp: number;
  nonce: string;
  tenant: string;
  requestId: string;
  /** base64url SHA-256 of the request body (of the empty string when there is none). */
  bodyDigest: string;
  country?: string | undefined;
  pop?: string | undefined;
  /** The tenant's allow-list, comma-separated; signed only when sent (older signatures are unchanged). */
  models?: string | undefined;
}

const enc = new TextEncoder();

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  try {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** One line per field; a field holding a newline could shift the others, so it is refused. */
export function canonicalString(f: SignedFields): string {
  const s =
    SIGNATURE_SCHEME + '\n' + f.method.toUpperCase() + '\n' + f.path + '\n' + String(f.timestamp) + '\n' + f.nonce + '\n' + f.tenant + '\n' +
    f.requestId + '\n' + f.bodyDigest + '\n' + (f.country ?? '') + '\n' + (f.pop ?? '') + (f.models ? '\n' + f.models : '');
  // One field per line: a field carrying a line break would shift the others, so the string must
  // hold exactly the breaks that separate its 10 or 11 fields (counted once, not a regex per field).
  if (s.includes('\r') || lineBreaks(s) !== (f.models ? 10 : 9)) throw new Error('signed field contains a line break');
  return s;
}

function lineBreaks(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The one rule for a signing secret, at the edge (WebCrypto) and the origin (node:crypto) alike. */
export function assertSigningSecret(secret: string): void {
  if (secret.length < 32) throw new Error('edge signing secret must be at least 32 characters');
}

export async function importSigningKey(secret: string): Promise<CryptoKey> {
  assertSigningSecret(secret);
  return crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

export async function bodyDigest(body: Uint8Array | null | undefined): Promise<string> {
  const data = (body ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>;
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}

export function newNonce(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** `v1=<base64url HMAC>` */
export async function sign(key: CryptoKey, fields: SignedFields): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, enc.encode(canonicalString(fields)));
  return `${SIGNATURE_SCHEME}=${base64url(new Uint8Array(mac))}`;
}

/** Constant-time by construction: WebCrypto's HMAC verify compares the MACs itself. */
export async function verify(key: CryptoKey, fields: SignedFields, header: string): Promise<boolean> {
  const prefix = SIGNATURE_SCHEME + '=';
  if (!header.startsWith(prefix)) return false;
  const mac = fromBase64url(header.slice(prefix.length));
  if (!mac || mac.length !== 32) return false;
  let canonical: string;
  try {
    canonical = canonicalString(fields);
  } catch {
    return false;
  }
  return crypto.subtle.verify('HMAC', key, mac, enc.encode(canonical));
}

/** The headers the edge adds to a forwarded request (signature included). */
export async function signedHeaders(key: CryptoKey, fields: SignedFields): Promise<Record<string, string>> {
  const h: Record<string, string> = {
    [EDGE_HEADERS.tenant]: fields.tenant,
    [EDGE_HEADERS.timestamp]: String(fields.timestamp),
    [EDGE_HEADERS.nonce]: fields.nonce,
    [EDGE_HEADERS.bodyDigest]: fields.bodyDigest,
    [EDGE_HEADERS.signature]: await sign(key, fields),
  };
  if (fields.country) h[EDGE_HEADERS.country] = fields.country;
  if (fields.pop) h[EDGE_HEADERS.pop] = fields.pop;
  if (fields.models) h[EDGE_HEADERS.models] = fields.models;
  return h;
}

/** What a forwarded request is, before the signing moment adds its time, nonce and body digest. */
export interface OutgoingRequest {
  method: string;
  path: string;
  body: Uint8Array | string | null | undefined;
  tenant: string;
  requestId: string;
  country?: string | undefined;
  pop?: string | undefined;
  models?: string | undefined;
}

/** Signs a request as it leaves now: the edge's forward, and every caller that must pass for it. */
export async function signOutgoing(key: CryptoKey, req: OutgoingRequest): Promise<Record<string, string>> {
  const bytes = typeof req.body === 'string' ? enc.encode(req.body) : req.body;
  return signedHeaders(key, {
    method: req.method,
    path: req.path,
    timestamp: Date.now(),
    nonce: newNonce(),
    tenant: req.tenant,
    requestId: req.requestId,
    bodyDigest: await bodyDigest(bytes),
    country: req.country,
    pop: req.pop,
    models: req.models,
  });
}
