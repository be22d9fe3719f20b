import type { MiddlewareHandler } from 'hono';
import type { OriginEnv } from '../core/env.ts';
import { tokenEstimate } from './estimate.ts';
import { setRateLimitHeaders } from './headers.ts';
import type { QuotaService } from './service.ts';

/**
 * Admits each model request against its tenant's limits before any upstream work, and puts the
 * x-ratelimit-* headers on the answer. Runs after auth (the tenant) and the request's facts (the
 * body as its dialect read it, once).
 */
export function quotaMiddleware(quota: QuotaService): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const rec = c.get('record');
    // Routes that reach a model count against the tenant's quota (the route table says which).
    const route = rec.routeEntry;
    if (!route?.metered) return next();
    const tenant = rec.tenant.id;
    const e = tokenEstimate(c.get('facts'), route, quota.estimateCfg);
    // Fields copied one by one: a spread after another field takes V8's slow path on every request.
    const admitted = await quota.admit(rec, { tenant, promptEstimate: e.promptEstimate, completionEstimate: e.completionEstimate, stream: e.stream });
    await next();
    if (admitted) setRateLimitHeaders(admitted.decision, admitted.limits, c.res.headers);
  };
}
