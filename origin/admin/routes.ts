import { Hono } from 'hono';
import { errors } from '../../shared/errors.ts';
import type { AdmissionController } from '../admission/controller.ts';
import type { AdmissionConfig } from '../admission/config.ts';
import type { AdminConfig } from './config.ts';
import type { Admission } from '../core/admission.ts';
import type { QuotaService } from '../quota/service.ts';
import type { Router } from '../routing/router.ts';
import type { OriginEnv } from '../core/env.ts';
import { adminAuth } from './auth.ts';
import { queryUsage } from './usage-query.ts';

/**
 * `/admin/...` for operators, behind the admin token:
 *   GET /admin/usage?tenant=&model=&from=YYYY-MM-DD&to=YYYY-MM-DD  usage per tenant, day, model
 *   GET /admin/quota[?tenant=]   store state, outage counters, a tenant's effective limits
 *   GET /admin/admission         slots, queue depth, waits and rejections per upstream model
 *   GET /admin/routing           upstream health/ejection, aliases, pinned models' cold starts
 */
export function adminRoutes(deps: { cfg: { admin: AdminConfig; admission: Pick<AdmissionConfig, 'mode'> }; admission: Admission; quota?: QuotaService | undefined; router?: Pick<Router, 'snapshot'> | undefined }): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  app.use('*', adminAuth(deps.cfg.admin.token));

  app.get('/usage', async (c) => c.json(await queryUsage(deps.quota, c.req.query())));

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
