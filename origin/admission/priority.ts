import type { MiddlewareHandler } from 'hono';
import type { PriorityClass } from '../core/admission.ts';
import type { OriginEnv } from '../core/env.ts';
import type { AdmissionConfig } from './config.ts';

/**
 * Chooses a request's priority class: the tenant's configured class wins (a batch tenant cannot
 * promote itself), then the client's header, then the route table's default for the route
 * (chat is interactive; embeddings and generate are batch).
 */
export function priorityMiddleware(cfg: AdmissionConfig): MiddlewareHandler<OriginEnv> {
  const header = cfg.priorityHeader.toLowerCase();
  return (c, next) => {
    const rec = c.get('record');
    const tenant = c.get('tenant')?.id;
    let cls: PriorityClass | undefined = tenant !== undefined ? cfg.tenantPriority[tenant] : undefined;
    if (!cls && header) {
      const v = c.req.header(header)?.trim().toLowerCase();
      if (v === 'interactive' || v === 'batch') cls = v;
    }
    rec.priority = cls ?? rec.routeEntry?.priority;
    return next();
  };
}
