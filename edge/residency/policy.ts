import type { MiddlewareHandler } from 'hono';
import { PuertaError } from '../../shared/errors.ts';
import type { EdgeEnv } from '../platform.ts';

/** 127.0.0.0/8 and ::1 (also IPv4-mapped): a client on the edge's own machine, i.e. a local run. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || a === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * The client's country: the platform's geolocation, or undefined when it has none (Fastly `**`,
 * Cloudflare `XX` and `T1` Tor, passed in as undefined). `DEFAULT_COUNTRY` fills the gap only for
 * loopback clients (Viceroy/workerd test runs): set in production by mistake, it must not let an
 * unlocated client through a residency check, which fails closed by design.
 */
export function clientCountry(located: string | undefined, address: string | undefined, defaultCountry: string | undefined): string | undefined {
  if (located) return located;
  return isLoopback(address) ? defaultCountry : undefined;
}

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
