import type { MiddlewareHandler } from 'hono';
import { PuertaError } from '../../shared/errors.ts';
import type { EdgeEnv } from '../platform.ts';
import { rateLimitHeaders } from './limiter.ts';

/** Counts every authenticated request against its tenant's rule; 429 + Retry-After when over. */
export function rateLimit(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const tenant = c.get('tenant');
    const rule = tenant.rateLimit;
    const d = await c.env.platform.limiter.hit(`tenant:${tenant.id}`, rule);
    const headers = rateLimitHeaders(d);
    if (!d.allowed) {
      const retryAfter = Math.max(1, Math.ceil(d.resetSeconds));
      throw new PuertaError({
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        // d.limit, not the tenant rule: a runtime-wide ceiling (Workers binding) may be what refused.
        message: `rate limit reached for tenant '${tenant.id}' at this edge location: ${d.limit} requests per window; retry after ${retryAfter} s`,
        retryAfter,
        retryable: true,
        headers,
      });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
