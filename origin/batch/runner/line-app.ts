/**
 * The origin's pipeline for one batch line, in process: the same middlewares and dialect routes a
 * client's request goes through (record and audit, request facts, the tenant's allow-list, its
 * quota, admission, routing, the upstream dialect), with the tenant the batch belongs to and the
 * batch admission class. No network and no auth: only the runner can reach this app, and it
 * names the tenant itself (the batch's owner, checked when the batch was created).
 */
import { Hono } from 'hono';
import { modelAllowList } from '../../auth/model-allow-list.ts';
import { CLIENT_DIALECTS } from '../../dialects/client/index.ts';
import { errorHandler } from '../../http/error-handler.ts';
import { toPuertaError } from '../../../shared/errors.ts';
import { recordMiddleware } from '../../http/record-middleware.ts';
import { requestFacts } from '../../http/request-facts.ts';
import type { DialectDeps } from '../../dialects/deps.ts';
import { quotaMiddleware } from '../../quota/middleware.ts';
import type { QuotaService } from '../../quota/service.ts';
import { routeFor } from '../../../shared/routes.ts';
import type { OriginEnv, TenantContext } from '../../core/env.ts';
import { LINE_ENDPOINTS } from '../types.ts';

/** Header of a refused line's answer naming the refusal's code (PuertaError.code). */
export const LINE_ERROR_CODE = 'x-batch-error-code';

/** The tenant of each line's request and how to stop it for interactive work, set by the runner (a Request has no place of its own for them). */
const lineOf = new WeakMap<Request, { tenant: TenantContext; preempt: () => void }>();

export function lineRequest(url: string, body: string, tenant: TenantContext, requestId: string, signal: AbortSignal, preempt: () => void): Request {
  const req = new Request(`http://batch.internal${url}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body, signal });
  lineOf.set(req, { tenant, preempt });
  return req;
}

/** What a line's pipeline needs: the dialects' routes, the record, the body's facts and the quota. */
export type LineAppDeps = DialectDeps & Parameters<typeof recordMiddleware>[0] & Parameters<typeof requestFacts>[0] & { quota?: QuotaService | undefined };

export function createLineApp(deps: LineAppDeps): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  // The refusal's code beside its body: every dialect's body does not carry one (Anthropic's has
  // only a type), and the runner tells "no slot yet" and "daily quota used up" apart by it.
  app.onError(async (err, c) => {
    const res = await errorHandler(err, c);
    const code = toPuertaError(err).code;
    if (code) res.headers.set(LINE_ERROR_CODE, code);
    return res;
  });
  app.use('*', async (c, next) => {
    const line = lineOf.get(c.req.raw);
    if (!line) throw new Error('a batch line request without its tenant');
    c.set('tenant', line.tenant);
    await next();
  });
  app.use('*', recordMiddleware(deps));
  app.use('*', requestFacts(deps, (route) => CLIENT_DIALECTS[route.dialect].body(route)));
  app.use('*', modelAllowList());
  // Every line runs in the batch class, whatever its route's default: it fills idle slots and
  // gives way to interactive requests (stopped for them, with admission.preemptBatch).
  app.use('*', async (c, next) => {
    const rec = c.get('record');
    rec.priority = 'batch';
    rec.preempt = lineOf.get(c.req.raw)!.preempt;
    await next();
  });
  if (deps.quota) app.use('*', quotaMiddleware(deps.quota));
  for (const path of LINE_ENDPOINTS) {
    const route = routeFor('POST', path)!;
    app.post(path, CLIENT_DIALECTS[route.dialect].handler(deps, route));
  }
  return app;
}
