/**
 * The origin's side of shared/signing.ts with node:crypto: the same HMAC-SHA256 and body digest,
 * computed synchronously. WebCrypto's are promises served by libuv's thread pool: two pool turns
 * per request, with the request's objects kept alive meanwhile (and queued behind every other
 * request's turns under load). The edge keeps WebCrypto, the only API its runtimes have.
 */
import { createHmac, hash, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { assertSigningSecret, canonicalString, SIGNATURE_SCHEME, type SignedFields } from '../../shared/signing.ts';

const PREFIX = `${SIGNATURE_SCHEME}=`;
/** A 32-byte MAC in unpadded base64url. */
const MAC_RE = /^[A-Za-z0-9_-]{43}$/;
const EMPTY = new Uint8Array(0);

/** The secrets (several while rotating), checked as shared/signing.ts importSigningKey checks them. */
export function signingSecrets(secret: string): KeyObject[] {
  const list = secret
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of list) assertSigningSecret(s);
  // Key objects made once: an HMAC keyed by raw bytes would import them again on every request.
  return list.map((s) => createSecretKey(Buffer.from(s, 'utf8')));
}

/** Whether `header` (`v1=<base64url HMAC>`) signs `fields` under any of the secrets; constant-time compare. */
export function verifyEdgeHmac(secrets: readonly KeyObject[], fields: SignedFields, header: string): boolean {
  if (!header.startsWith(PREFIX)) return false;
  const encoded = header.slice(PREFIX.length);
  if (!MAC_RE.test(encoded)) return false;
  let canonical: string;
  try {
    canonical = canonicalString(fields);
  } catch {
    return false;
  }
  const mac = Buffer.from(encoded, 'base64url');
  let ok = false;
  for (const s of secrets) if (timingSafeEqual(createHmac('sha256', s).update(canonical).digest(), mac)) ok = true;
  return ok;
}

/** base64url SHA-256 of the body (of the empty string when there is none), as the edge signs it. */
export function edgeBodyDigest(body: Uint8Array | null): string {
  return hash('sha256', body ?? EMPTY, 'base64url');
}
