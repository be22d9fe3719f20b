/**
 * Node-side management of the one tenants file (shared/tenants.ts describes its shape). Used by
 * the `npm run tenants` CLI, the local stack and the tests. The file holds key hashes only; a
 * new key exists in plaintext just long enough to be printed once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  generateKey,
  hashKey,
  keyRecordSchema,
  keyStoreKey,
  parseStored,
  tenantRecordSchema,
  tenantsFileSchema,
  tenantStoreKey,
  type KeyRecord,
  type TenantRecord,
  type TenantRecordInput,
  type TenantsFile,
} from '../../shared/tenants.ts';
import { STORES } from '../store-names.ts';

export const DEFAULT_TENANTS_FILE = '.puerta/tenants.json';
export const DEFAULT_SECRETS_FILE = '.puerta/edge-secrets.json';

export function readTenantsFile(path: string): TenantsFile {
  if (!existsSync(path)) return {};
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const r = tenantsFileSchema.safeParse(raw);
  if (!r.success) throw new Error(`${path}: expected a JSON object of string values ("tenant:<id>" / "key:<id>" → JSON)`);
  return r.data;
}

/** Written whole to a temporary file and renamed, so a reader never sees half a file. */
export function writeTenantsFile(path: string, data: TenantsFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(sorted, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function listTenants(data: TenantsFile): { tenant: TenantRecord; keys: KeyRecord[] }[] {
  const keys = Object.entries(data)
    .filter(([k]) => k.startsWith('key:'))
    .map(([k, v]) => parseStored(keyRecordSchema, k, v));
  return Object.entries(data)
    .filter(([k]) => k.startsWith('tenant:'))
    .map(([k, v]) => {
      const tenant = parseStored(tenantRecordSchema, k, v);
      return { tenant, keys: keys.filter((x) => x.tenant === tenant.id) };
    });
}

export function getTenant(data: TenantsFile, id: string): TenantRecord | null {
  const raw = data[tenantStoreKey(id)];
  return raw === undefined ? null : parseStored(tenantRecordSchema, tenantStoreKey(id), raw);
}

export function putTenant(data: TenantsFile, input: TenantRecordInput): TenantRecord {
  const r = tenantRecordSchema.safeParse({ createdAt: new Date().toISOString(), ...input });
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`tenant field '${i?.path.join('.')}': ${i?.message}`);
  }
  data[tenantStoreKey(r.data.id)] = JSON.stringify(r.data);
  return r.data;
}

/** Adds a key for an existing tenant; returns the plaintext key (show it once, never store it). */
export async function addKey(data: TenantsFile, tenantId: string, label?: string): Promise<{ key: string; record: KeyRecord }> {
  if (!getTenant(data, tenantId)) throw new Error(`no tenant '${tenantId}'; create it first`);
  const { keyId, key } = generateKey();
  const record = keyRecordSchema.parse({
    id: keyId,
    tenant: tenantId,
    hash: await hashKey(key),
    status: 'active',
    ...(label ? { label } : {}),
    createdAt: new Date().toISOString(),
  });
  data[keyStoreKey(keyId)] = JSON.stringify(record);
  return { key, record };
}

export function setKeyStatus(data: TenantsFile, keyId: string, status: KeyRecord['status']): KeyRecord {
  const raw = data[keyStoreKey(keyId)];
  if (raw === undefined) throw new Error(`no key '${keyId}'`);
  const rec = { ...parseStored(keyRecordSchema, keyStoreKey(keyId), raw), status };
  data[keyStoreKey(keyId)] = JSON.stringify(rec);
  return rec;
}

/** `[{key, value}]`, the input of `wrangler kv bulk put` (Workers KV, local or remote). */
export function toWranglerBulk(data: TenantsFile): { key: string; value: string }[] {
  return Object.entries(data).map(([key, value]) => ({ key, value }));
}

/** The signing secret file for Fastly's local secret store (and the origin's EDGE_SIGNING_SECRET). */
export function ensureSecretsFile(path: string): string {
  if (existsSync(path)) {
    const v = (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)[STORES.signingSecretKey];
    if (v) return v;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ [STORES.signingSecretKey]: secret }, null, 2) + '\n', { mode: 0o600 });
  return secret;
}
