/**
 * `auth.mode: keys` — the origin checks tenant keys itself (deployments without an edge), against
 * the same hashed tenants file the edge uses (shared/tenants.ts): same key format, same constant-
 * time hash comparison, same statuses. The file is re-read when it changes (checked at most every
 * `reloadMs`), so `npm run tenants -- revoke-key …` takes effect without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import { extractKey, MISSING_KEY_MESSAGE } from '../../shared/api-key.ts';
import { errors } from '../../shared/errors.ts';
import { checkKey, tenantsFileSchema, type TenantsFile } from '../../shared/tenants.ts';
import type { OriginEnv } from '../core/env.ts';

export interface TenantKeysOptions {
  tenantsFile: string;
  reloadMs?: number;
}

function load(path: string): TenantsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`TENANTS_FILE ${path}: cannot read it as JSON (${(e as Error).message}); create it with npm run tenants -- create <id>`);
  }
  const r = tenantsFileSchema.safeParse(raw);
  if (!r.success) throw new Error(`TENANTS_FILE ${path}: expected a JSON object of string values (written by npm run tenants)`);
  return r.data;
}

export function createTenantKeysMiddleware(opts: TenantKeysOptions): MiddlewareHandler<OriginEnv> {
  const reloadMs = opts.reloadMs ?? 2_000;
  let data = load(opts.tenantsFile); // fails at start-up, naming the file and the fix
  let mtime = statSync(opts.tenantsFile).mtimeMs;
  let checked = Date.now();

  const current = (): TenantsFile => {
    const now = Date.now();
    if (now - checked >= reloadMs) {
      checked = now;
      try {
        const m = statSync(opts.tenantsFile).mtimeMs;
        if (m !== mtime) {
          data = load(opts.tenantsFile);
          mtime = m;
        }
      } catch {
        // Keep serving with the last good copy; a half-written or removed file must not lock everyone out.
      }
    }
    return data;
  };

  return async (c, next) => {
    const key = extractKey(c.req.raw, c.req.path);
    if (!key) throw errors.unauthorized(MISSING_KEY_MESSAGE, 'missing_api_key');
    const file = current();
    const r = await checkKey((k) => file[k] ?? null, key);
    if (!r.ok) {
      if (r.reason === 'suspended') throw errors.forbidden('the tenant of this API key is suspended', 'tenant_suspended');
      throw errors.unauthorized(r.reason === 'revoked' ? 'the API key has been revoked' : 'the API key is not valid', r.reason === 'revoked' ? 'revoked_api_key' : 'invalid_api_key');
    }
    // With no edge in front, the origin enforces the tenant's model allow-list itself
    // (origin/auth/model-allow-list.ts, and the model lists). Its countries cannot be enforced
    // here: the origin has no geolocation of the client (README, auth modes).
    c.set('tenant', { id: r.value.tenant.id, via: 'key', models: r.value.tenant.models });
    await next();
  };
}
