/**
 * `auth.mode: edge` — the origin trusts only requests the Puerta edge signed (shared/signing.ts).
 * Refused with 401 and an OpenAI-style body: unsigned, badly signed, outside the clock-skew
 * window, or replayed (same nonce seen inside the window). Checks run cheapest first, so a
 * forged request costs the origin no body read unless its headers are complete and fresh.
 */
import type { MiddlewareHandler } from 'hono';
import { errors } from '../../shared/errors.ts';
import { EDGE_HEADERS } from '../../shared/signing.ts';
import { TENANT_ID_RE } from '../../shared/tenants.ts';
import type { OriginEnv } from '../core/env.ts';
import type { TenantContext } from '../core/tenant.ts';
import { cacheBodyText } from '../http/body-cache.ts';
import { edgeBodyDigest, signingSecrets, verifyEdgeHmac } from './edge-hmac.ts';

export interface EdgeSignatureOptions {
  /** One secret, or several separated by commas while rotating (new first). */
  secret: string;
  maxSkewMs: number;
  /** Largest body read for the digest before the route's own limit applies. */
  maxBodyBytes?: number;
  replay?: ReplayGuard;
  now?: () => number;
}

/** Remembers nonces; `false` means seen before. Swap for a Redis SET NX PX with several replicas. */
export interface ReplayGuard {
  /** `tenant`: the signed tenant the nonce came with (a replay names the same one). */
  remember(nonce: string, ttlMs: number, tenant: string): Promise<boolean> | boolean;
}

/**
 * In-process nonce memory, for a single origin replica (several replicas need a shared guard, e.g.
 * Redis `SET nonce 1 NX PX ttl`). Entries arrive in roughly expiry order, so expired ones are
 * dropped from the front: O(1) per request, bounded by the traffic of one skew window.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Set<string>();
  /**
   * The nonces in the order remembered, with their expiries, from `head` on: read from the front
   * without an iterator and an entry pair per request (a Map's would cost both on every check).
   */
  private nonces: string[] = [];
  private expiries: number[] = [];
  private head = 0;
  constructor(private readonly now: () => number = Date.now) {}

  remember(nonce: string, ttlMs: number): boolean {
    const now = this.now();
    while (this.head < this.nonces.length && this.expiries[this.head]! <= now) this.seen.delete(this.nonces[this.head++]!);
    // Dropped entries are let go once they are most of the arrays.
    if (this.head > 1024 && this.head * 2 > this.nonces.length) {
      this.nonces = this.nonces.slice(this.head);
      this.expiries = this.expiries.slice(this.head);
      this.head = 0;
    }
    if (this.seen.has(nonce)) return false;
    this.seen.add(nonce);
    this.nonces.push(nonce);
    this.expiries.push(now + ttlMs);
    return true;
  }
}

const refuse = (why: string, code = 'invalid_edge_signature') =>
  errors.unauthorized(`request refused: ${why}. This origin only accepts requests signed by the Puerta edge (auth.mode=edge)`, code);

export function createEdgeSignatureMiddleware(opts: EdgeSignatureOptions): MiddlewareHandler<OriginEnv> {
  const now = opts.now ?? Date.now;
  const replay = opts.replay ?? new MemoryReplayGuard(now);
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  // A secret too short stops the origin here, before it serves anything.
  const secrets = signingSecrets(opts.secret);

  return async (c, next) => {
    const h = (name: string) => c.req.header(name) ?? '';
    const signature = h(EDGE_HEADERS.signature);
    const tenant = h(EDGE_HEADERS.tenant);
    const tsRaw = h(EDGE_HEADERS.timestamp);
    const nonce = h(EDGE_HEADERS.nonce);
    const digest = h(EDGE_HEADERS.bodyDigest);
    const requestId = c.req.header('x-request-id') ?? '';
    if (!signature) throw refuse('no edge signature', 'missing_edge_signature');
    if (!tenant || !tsRaw || !nonce || !digest || !requestId) throw refuse('edge signature headers incomplete');
    if (!TENANT_ID_RE.test(tenant) || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) throw refuse('malformed edge headers');

    const ts = Number(tsRaw);
    const skew = Math.abs(now() - ts);
    if (!Number.isFinite(ts) || skew > opts.maxSkewMs) {
      throw refuse(`signature timestamp outside the allowed clock skew of ${opts.maxSkewMs} ms`, 'edge_signature_expired');
    }

    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > maxBody) throw errors.payloadTooLarge(maxBody);
    // Read through Hono's body cache, so later readers (requestFacts, readJson) get the same
    // bytes without a second read; a request without a body digests as an empty one.
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    const body = hasBody ? new Uint8Array(await c.req.arrayBuffer()) : null;
    if (body && body.byteLength > maxBody) throw errors.payloadTooLarge(maxBody);
    if (body) cacheBodyText(c.req, body);

    // The query as URL would give it: parsed only when there is one (most requests have none).
    const raw = c.req.url;
    const search = raw.includes('?') ? new URL(raw).search : '';
    const country = c.req.header(EDGE_HEADERS.country) || undefined;
    const pop = c.req.header(EDGE_HEADERS.pop) || undefined;
    const models = c.req.header(EDGE_HEADERS.models) || undefined;
    const fields = {
      method: c.req.method,
      // The canonical path the origin routes on (shared/canonical-path.ts), which is what the edge signs.
      path: c.req.path + search,
      timestamp: ts,
      nonce,
      tenant,
      requestId,
      bodyDigest: digest,
      country,
      pop,
      models,
    };
    if (!verifyEdgeHmac(secrets, fields, signature)) throw refuse('edge signature does not match');
    if (edgeBodyDigest(body) !== digest) throw refuse('body does not match its signed digest');
    // A nonce needs remembering only while its timestamp is still inside the window (ts + maxSkew);
    // after that the skew check alone refuses it. A second of margin covers clock reads.
    const ttl = ts + opts.maxSkewMs - now() + 1_000;
    if (!(await replay.remember(nonce, ttl, tenant))) throw refuse('replayed request (nonce already used)', 'edge_signature_replayed');

    // Set field by field: spreading `{ country }` into the literal costs V8 a runtime store per field.
    const who: TenantContext = { id: tenant, via: 'edge' };
    if (country) who.country = country;
    if (pop) who.pop = pop;
    if (models) who.models = models.split(',');
    c.set('tenant', who);
    await next();
  };
}
