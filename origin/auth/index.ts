import type { MiddlewareHandler } from 'hono';
import type { OriginConfig } from '../config/schema.ts';
import type { OriginEnv } from '../core/env.ts';
import { createEdgeSignatureMiddleware, type ReplayGuard } from './edge-signature.ts';
import { createTenantKeysMiddleware } from './tenant-keys.ts';

/**
 * Establishes the tenant of each request. `none` is for a single-tenant origin behind a private
 * network; `edge` trusts only requests signed by the edge; `keys` checks tenant keys directly.
 */
export function createAuthMiddleware(
  cfg: OriginConfig['auth'],
  opts: { maxBodyBytes: number; replay?: ReplayGuard | undefined },
): MiddlewareHandler<OriginEnv> {
  switch (cfg.mode) {
    case 'none':
      return (c, next) => {
        c.set('tenant', { id: 'anonymous', via: 'none' });
        return next();
      };
    case 'edge':
      // The schema requires edgeSecret in this mode (EDGE_SIGNING_SECRET).
      // The digest needs the body before the route's own limit runs: read no more than that limit.
      return createEdgeSignatureMiddleware({
        secret: cfg.edgeSecret!,
        maxSkewMs: cfg.maxSkewMs,
        maxBodyBytes: opts.maxBodyBytes,
        ...(opts.replay ? { replay: opts.replay } : {}),
      });
    case 'keys':
      return createTenantKeysMiddleware({ tenantsFile: cfg.tenantsFile! });
    default:
      throw new Error(`auth mode '${cfg.mode}' is not available in this build`);
  }
}
