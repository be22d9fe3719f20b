import type { MiddlewareHandler } from 'hono';
import { extractKey, MISSING_KEY_MESSAGE } from '../../shared/api-key.ts';
import { errors } from '../../shared/errors.ts';
import type { EdgeEnv } from '../platform.ts';
import { resolveKey } from './tenant-store.ts';

const REASONS = {
  malformed: 'the API key is not a Puerta key (expected pk_<id>_<secret>)',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  suspended: 'the tenant of this API key is suspended',
} as const;

/** Sets `tenant` or answers 401/403 with an OpenAI-style body; never says which part of a key was wrong. */
export function authenticate(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const key = extractKey(c.req.raw, c.req.path);
    if (!key) throw errors.unauthorized(MISSING_KEY_MESSAGE, 'missing_api_key');
    const { platform } = c.env;
    const r = await resolveKey((k) => platform.storeGet(k), platform.config.TENANT_CACHE_TTL_MS, key);
    if (!r.ok) {
      if (r.reason === 'suspended') throw errors.forbidden(REASONS.suspended, 'tenant_suspended');
      throw errors.unauthorized(REASONS[r.reason], r.reason === 'revoked' ? 'revoked_api_key' : 'invalid_api_key');
    }
    c.set('tenant', r.value.tenant);
    await next();
  };
}
