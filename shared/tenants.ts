/**
 * Tenant records and tenant keys, shared by the edge (Fastly KV / Workers KV) and the origin
 * (`auth.mode: keys`). Keys are never stored: only `sha256:<hex>` of the whole key string.
 *
 * A key reads `pk_<keyId>_<secret>`: the key id is public and indexes the store, so a lookup
 * never depends on the secret; the hash of the whole key is then compared in constant time.
 * Keys carry 256 random bits, so a fast unsalted SHA-256 is enough (no dictionary to attack) and
 * costs microseconds on the edge, where a slow password hash would cost the whole CPU budget.
 *
 * Storage is one flat map of string to string so that the same file loads into Fastly's
 * `[local_server.kv_stores]` (JSON format), Workers KV (bulk put) and the origin:
 *   `tenant:<id>` → JSON TenantRecord,  `key:<keyId>` → JSON KeyRecord.
 */
import { z } from 'zod';
import { base64url } from './signing.ts';

export const TENANT_ID_RE = /^[a-z0-9][a-z0-9_-]{1,62}$/;
export const KEY_ID_LENGTH = 12;
const KEY_ID_RE = /^[a-z0-9]{12}$/;
const KEY_SECRET_RE = /^[A-Za-z0-9_-]{43}$/;
const KEY_PREFIX = 'pk_';

export const tenantIdSchema = z
  .string()
  .regex(TENANT_ID_RE, 'tenant id: 2-63 chars of a-z 0-9 _ -, starting with a letter or digit');

export const rateLimitSchema = z.object({
  /** Requests allowed per window, per tenant, per edge location (POP / colo). */
  requests: z.number().int().positive(),
  /** 10 or 60: the windows Fastly's Edge Rate Limiting and the Workers binding both support. */
  windowSeconds: z
    .union([z.literal(10), z.literal(60)], { error: 'windowSeconds must be 10 or 60 (what Fastly ERL and the Workers binding support)' })
    .default(60),
});
export type RateLimitRule = z.infer<typeof rateLimitSchema>;

export const tenantRecordSchema = z.object({
  id: tenantIdSchema,
  name: z.string().max(200).optional(),
  status: z.enum(['active', 'suspended']).default('active'),
  /** Models this tenant may call; empty means every model the origin serves. */
  models: z.array(z.string().min(1)).default([]),
  rateLimit: rateLimitSchema.default({ requests: 600, windowSeconds: 60 }),
  /** ISO 3166-1 alpha-2 countries whose clients may call; empty means any country. */
  countries: z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case (DE, AT)')).default([]),
  /** 451 (legal reason: residency) by default; 403 for tenants that prefer not to say why. */
  residencyRefusalStatus: z.union([z.literal(451), z.literal(403)]).default(451),
  /** Region of the origin that serves this tenant (for routing and audit); informational at the edge. */
  originRegion: z.string().min(1).default('default'),
  createdAt: z.string().optional(),
});
export type TenantRecord = z.infer<typeof tenantRecordSchema>;
export type TenantRecordInput = z.input<typeof tenantRecordSchema>;

export const keyRecordSchema = z.object({
  id: z.string().regex(KEY_ID_RE, 'key id: 12 chars of a-z 0-9'),
  tenant: tenantIdSchema,
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex>'),
  status: z.enum(['active', 'revoked']).default('active'),
  label: z.string().max(200).optional(),
  createdAt: z.string().optional(),
});
export type KeyRecord = z.infer<typeof keyRecordSchema>;

/** The one tenants file: a flat string map (see the module comment). */
export const tenantsFileSchema = z.record(z.string(), z.string());
export type TenantsFile = z.infer<typeof tenantsFileSchema>;

export const tenantStoreKey = (id: string) => `tenant:${id}`;
export const keyStoreKey = (keyId: string) => `key:${keyId}`;

export interface ParsedKey {
  keyId: string;
  raw: string;
}

/** Splits a presented key; returns null for anything that is not shaped like a Puerta key. */
export function parseKey(raw: string): ParsedKey | null {
  if (!raw.startsWith(KEY_PREFIX)) return null;
  const keyId = raw.slice(KEY_PREFIX.length, KEY_PREFIX.length + KEY_ID_LENGTH);
  const sep = raw.charAt(KEY_PREFIX.length + KEY_ID_LENGTH);
  const secret = raw.slice(KEY_PREFIX.length + KEY_ID_LENGTH + 1);
  if (sep !== '_' || !KEY_ID_RE.test(keyId) || !KEY_SECRET_RE.test(secret)) return null;
  return { keyId, raw };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A new key: 12-char id (public) and 32 random bytes (secret). */
export function generateKey(): { keyId: string; key: string } {
  const idBytes = crypto.getRandomValues(new Uint8Array(KEY_ID_LENGTH));
  let keyId = '';
  // 256 % 36 bias is irrelevant: the id is public, only the secret needs uniform randomness.
  for (const b of idBytes) keyId += ALNUM[b % ALNUM.length];
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { keyId, key: `${KEY_PREFIX}${keyId}_${secret}` };
}

export async function hashKey(raw: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(raw)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return 'sha256:' + hex;
}

/** Equal-length strings compared without an early exit, so timing says nothing about where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const len = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < len; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** Reads a store value and validates it; a malformed record is a configuration error, said as such. */
export function parseStored<T>(schema: z.ZodType<T>, storeKey: string, raw: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`tenant store entry '${storeKey}' is not valid JSON`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`tenant store entry '${storeKey}' is invalid at '${issue?.path.join('.') || '(root)'}': ${issue?.message}`);
  }
  return r.data;
}

export interface ResolvedKey {
  tenant: TenantRecord;
  key: KeyRecord;
}

export type KeyCheck =
  | { ok: true; value: ResolvedKey }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'suspended' };

/**
 * The one key check both sides run, over any string store (`get` may be sync or async).
 * Unknown key ids still hash and compare against a dummy, so a miss costs what a hit costs.
 */
export async function checkKey(
  get: (storeKey: string) => Promise<string | null> | string | null,
  presented: string,
): Promise<KeyCheck> {
  const parsed = parseKey(presented);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const rawKey = await get(keyStoreKey(parsed.keyId));
  const hash = await hashKey(parsed.raw);
  if (rawKey === null) {
    constantTimeEqual(hash, 'sha256:' + '0'.repeat(64));
    return { ok: false, reason: 'unknown' };
  }
  const key = parseStored(keyRecordSchema, keyStoreKey(parsed.keyId), rawKey);
  if (!constantTimeEqual(hash, key.hash)) return { ok: false, reason: 'unknown' };
  if (key.status !== 'active') return { ok: false, reason: 'revoked' };
  const rawTenant = await get(tenantStoreKey(key.tenant));
  if (rawTenant === null) return { ok: false, reason: 'unknown' };
  const tenant = parseStored(tenantRecordSchema, tenantStoreKey(key.tenant), rawTenant);
  if (tenant.status !== 'active') return { ok: false, reason: 'suspended' };
  return { ok: true, value: { tenant, key } };
}
