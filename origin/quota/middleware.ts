import type { MiddlewareHandler } from 'hono';
import type { OriginEnv } from '../types.ts';
import { bodyFacts } from './estimate.ts';
import { rateLimitHeaders } from './headers.ts';
import type { QuotaService } from './service.ts';

/** Routes that reach a model and therefore count against a tenant's quota. */
export const METERED_ROUTES = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/api/chat', '/api/generate', '/api/embed', '/api/embeddings']);

/**
 * Admits each model request against its tenant's limits before any upstream work, and puts the
 * x-ratelimit-* headers on the answer. Runs after auth (the tenant) and the body limit; the body
 * it reads is cached by Hono for the route handler.
 */
export function quotaMiddleware(quota: QuotaService): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST' || !METERED_ROUTES.has(c.req.path)) return next();
    const tenant = c.get('tenant')?.id ?? 'anonymous';
    const facts = bodyFacts(await c.req.text(), c.req.path, quota.estimateCfg);
    const rec = c.get('record');
    let admitted;
    try {
      admitted = await quota.admit(rec, { tenant, promptEstimate: facts.promptEstimate, completionEstimate: facts.completionEstimate, stream: facts.stream });
    } catch (err) {
      // A refused request still counts in the tenant's usage under the model it asked for.
      if (facts.model !== undefined) rec.publicModel ??= facts.model;
      throw err;
    }
    await next();
    // A request the route then refused (a 400) is counted, like a 429, under the model it asked for.
    if (facts.model !== undefined) rec.publicModel ??= facts.model;
    if (admitted) {
      const h = rateLimitHeaders(admitted.decision, admitted.limits);
      for (const k in h) c.res.headers.set(k, h[k]!);
    }
  };
}
