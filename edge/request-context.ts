import type { MiddlewareHandler } from 'hono';
import { REQUEST_ID_HEADER, requestIdFrom } from '../shared/headers.ts';
import type { EdgeEnv } from './platform.ts';

/**
 * First on the path: the request id (the caller's when safe, else a new one) and the client's
 * location; every response, errors and preflights included, carries `x-request-id`.
 * The access log line holds metadata only, never bodies or keys.
 */
export function requestContext(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const started = Date.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    c.set('client', c.env.platform.client());
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
    if (c.env.platform.config.LOG_REQUESTS) {
      const client = c.get('client');
      console.log(
        JSON.stringify({
          msg: 'edge request',
          request_id: requestId,
          runtime: c.env.platform.runtime,
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          tenant: c.get('tenant')?.id,
          country: client.country,
          pop: client.pop,
          ms_to_headers: Date.now() - started,
        }),
      );
    }
  };
}
