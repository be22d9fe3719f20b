/**
 * The origin's side of shared/signing.ts with node:crypto: the same HMAC-SHA256 and body digest,
 * computed synchronously. WebCrypto's are promises served by libuv's thread pool: two pool turns
 * per request, with the request's objects kept alive meanwhile (and queued behind every other
 * request's turns under load). The edge keeps WebCrypto, the only API its runtimes have.
 */
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { assertSigningSecret, canonicalString, SIGNATURE_SCHEME, type SignedFields } from '../../shared/signing.ts';

const PREFIX = `${SIGNATURE_SCHEME}=`;
/** A 32-byte MAC in unpadded base64url. */
const MAC_RE = /^[A-Za-z0-9_-]{43}$/;
const EMPTY = new Uint8Array(0);
/** SHA-256's block size, and the HMAC pads (RFC 2104). */
const BLOCK = 64;
const IPAD = 0x36;
const OPAD = 0x5c;
/** Longest message hashed from the key's own buffer; a longer one (a huge query) takes createHmac. */
const MESSAGE_ROOM = 4096;

/**
 * One signing secret, as HMAC-SHA256 (RFC 2104) computed with two one-shot SHA-256 calls over
 * buffers made once: H((K ^ opad) || H((K ^ ipad) || message)). createHmac builds a stream object
 * and a native handle for every request (several times the hashing itself); the result is the same
 * bytes (test/origin/edge-hmac.test.ts checks it against createHmac and RFC 4231's vectors).
 */
export class SigningKey {
  /** K ^ ipad, then room for the message. */
  private readonly inner = Buffer.alloc(BLOCK + MESSAGE_ROOM);
  /** K ^ opad, then the inner hash. */
  private readonly outer = Buffer.alloc(BLOCK + 32);
  private readonly raw: Buffer;

  constructor(secret: string) {
    this.raw = Buffer.from(secret, 'utf8');
    // A key longer than a block is hashed first; a shorter one is padded with zeros.
    const k = this.raw.length > BLOCK ? hash('sha256', this.raw, 'buffer') : this.raw;
    for (let i = 0; i < BLOCK; i++) {
      const b = i < k.length ? k[i]! : 0;
      this.inner[i] = b ^ IPAD;
      this.outer[i] = b ^ OPAD;
    }
  }

  /** HMAC-SHA256 of `message` (UTF-8) written into `out` (32 bytes). */
  macInto(message: string, out: Buffer): void {
    // At most 3 bytes per UTF-16 unit: whatever fits by that bound is written whole.
    if (message.length * 3 > MESSAGE_ROOM) {
      createHmac('sha256', this.raw).update(message).digest().copy(out);
      return;
    }
    const n = this.inner.write(message, BLOCK, 'utf8');
    // 'binary' (latin1) strings carry the 32 digest bytes one per character, with no Buffer made for them.
    this.outer.write(hash('sha256', this.inner.subarray(0, BLOCK + n), 'binary'), BLOCK, 'latin1');
    out.write(hash('sha256', this.outer, 'binary'), 0, 'latin1');
  }
}

/** The secrets (several while rotating), checked as shared/signing.ts importSigningKey checks them. */
export function signingSecrets(secret: string): SigningKey[] {
  const list = secret
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of list) assertSigningSecret(s);
  return list.map((s) => new SigningKey(s));
}

/** Scratch for the MAC sent and the one computed; verification is synchronous, so one pair serves every request. */
const sent = Buffer.alloc(32);
const computed = Buffer.alloc(32);

/** Whether `header` (`v1=<base64url HMAC>`) signs `fields` under any of the secrets; constant-time compare. */
export function verifyEdgeHmac(secrets: readonly SigningKey[], fields: SignedFields, header: string): boolean {
  if (!header.startsWith(PREFIX)) return false;
  const encoded = header.slice(PREFIX.length);
  if (!MAC_RE.test(encoded)) return false;
  let canonical: string;
  try {
    canonical = canonicalString(fields);
  } catch {
    return false;
  }
  // 43 base64url characters are 32 bytes (the last one's spare bits ignored, as Buffer.from does).
  sent.write(encoded, 0, 'base64url');
  let ok = false;
  for (const s of secrets) {
    s.macInto(canonical, computed);
    if (timingSafeEqual(computed, sent)) ok = true;
  }
  return ok;
}

/** base64url SHA-256 of the body (of the empty string when there is none), as the edge signs it. */
export function edgeBodyDigest(body: Uint8Array | null): string {
  return hash('sha256', body ?? EMPTY, 'base64url');
}
