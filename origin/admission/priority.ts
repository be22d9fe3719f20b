import type { MiddlewareHandler } from 'hono';
import type { PriorityClass } from '../pipeline/admission.ts';
import type { OriginEnv } from '../types.ts';
import type { AdmissionConfig } from './config.ts';

/**
 * Chooses a request's priority class: the tenant's configured class wins (a batch tenant cannot
 * promote itself), then the client's header, then the route's own default (set later by the route:
 * chat is interactive; embeddings and generate are batch).
 */
export function priorityMiddleware(cfg: AdmissionConfig): MiddlewareHandler<OriginEnv> {
  const header = cfg.priorityHeader.toLowerCase();
  return async (c, next) => {
    const rec = c.get('record');
    // The record learns its tenant here, right after auth, so admission can be fair between tenants.
    const t = c.get('tenant');
    if (t) rec.tenant = t;
    const tenant = t?.id;
    let cls: PriorityClass | undefined = tenant !== undefined ? cfg.tenantPriority[tenant] : undefined;
    if (!cls && header) {
      const v = c.req.header(header)?.trim().toLowerCase();
      if (v === 'interactive' || v === 'batch') cls = v;
    }
    if (cls) rec.priority = cls;
    await next();
  };
}
