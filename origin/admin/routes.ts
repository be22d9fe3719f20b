import { Hono } from 'hono';
import { z } from 'zod';
import { errors } from '../../shared/errors.ts';
import type { AdmissionController } from '../admission/controller.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { dayOf } from '../quota/day.ts';
import type { UsageRow } from '../quota/types.ts';
import type { OriginEnv } from '../types.ts';
import { adminAuth } from './auth.ts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day, YYYY-MM-DD');
const usageQuery = z.object({
  tenant: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  from: day.optional(),
  to: day.optional(),
});

function totals(rows: UsageRow[]) {
  const t = { requests: 0, promptTokens: 0, completionTokens: 0, errors: 0 };
  for (const r of rows) {
    t.requests += r.requests;
    t.promptTokens += r.promptTokens;
    t.completionTokens += r.completionTokens;
    t.errors += r.errors;
  }
  return t;
}

/**
 * `/admin/...` for operators, behind the admin token:
 *   GET /admin/usage?tenant=&model=&from=YYYY-MM-DD&to=YYYY-MM-DD  usage per tenant, day, model
 *   GET /admin/quota[?tenant=]   store state, outage counters, a tenant's effective limits
 *   GET /admin/admission         slots, queue depth, waits and rejections per upstream model
 *   GET /admin/routing           upstream health/ejection, aliases, pinned models' cold starts
 */
export function adminRoutes(deps: OriginDeps): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  app.use('*', adminAuth(deps.cfg.admin.token));

  app.get('/usage', async (c) => {
    const q = usageQuery.safeParse(c.req.query());
    if (!q.success) {
      const i = q.error.issues[0]!;
      throw errors.badRequest(`${i.path.join('.')}: ${i.message}`, i.path.join('.'));
    }
    if (!deps.quota) throw errors.notFound('usage accounting is not enabled in this origin');
    const today = dayOf(Date.now());
    const from = q.data.from ?? q.data.to ?? today;
    const to = q.data.to ?? (q.data.from ? today : from);
    let rows: UsageRow[];
    try {
      rows = await deps.quota.usage({ from, to, ...(q.data.tenant ? { tenant: q.data.tenant } : {}), ...(q.data.model ? { model: q.data.model } : {}) });
    } catch (err) {
      if (err instanceof Error && /YYYY-MM-DD|before|calendar/.test(err.message)) throw errors.badRequest(err.message, 'from');
      throw errors.upstreamUnavailable(`usage store unavailable: ${(err as Error).message}`, 2);
    }
    rows.sort((a, b) => a.day.localeCompare(b.day) || a.tenant.localeCompare(b.tenant) || a.model.localeCompare(b.model));
    return c.json({ from, to, store: deps.quota.store.kind, rows, totals: totals(rows) });
  });

  app.get('/quota', (c) => {
    if (!deps.quota) throw errors.notFound('quotas are not enabled in this origin');
    const tenant = c.req.query('tenant');
    return c.json({ ...deps.quota.snapshot(), ...(tenant ? { tenant, limits: deps.quota.limitsFor(tenant) } : {}) });
  });

  app.get('/admission', (c) => {
    const a = deps.admission as Partial<AdmissionController>;
    return c.json({ mode: deps.cfg.admission.mode, gates: a.snapshot ? a.snapshot() : [] });
  });

  app.get('/routing', (c) => {
    if (!deps.router) return c.json({ upstreams: [], aliases: {}, pinned: [] });
    return c.json(deps.router.snapshot());
  });
  return app;
}
