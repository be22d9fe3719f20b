import type { MiddlewareHandler } from 'hono';
import { PuertaError } from '../../shared/errors.ts';
import type { EdgeEnv } from '../platform.ts';

/**
 * A tenant may restrict the countries its clients call from (data-residency contracts). Unknown
 * location fails closed: a tenant that restricts countries is never served to an unlocated client.
 */
export function residency(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const tenant = c.get('tenant');
    if (tenant.countries.length > 0) {
      const country = c.get('client').country;
      if (!country || !tenant.countries.includes(country)) {
        const where = country ? `country '${country}'` : 'an unknown country';
        throw new PuertaError({
          status: tenant.residencyRefusalStatus,
          type: 'permission_error',
          code: 'country_not_allowed',
          message: `tenant '${tenant.id}' does not accept requests from ${where}; allowed: ${tenant.countries.join(', ')}`,
          retryable: false,
        });
      }
    }
    await next();
  };
}
