import type { MiddlewareHandler } from 'hono';
import { requestIdFrom, REQUEST_ID_HEADER } from '../../shared/headers.ts';
import { serverTiming } from '../metrics/server-timing.ts';
import type { Logger } from 'pino';
import type { Observers } from '../core/record.ts';
import type { RequestRecord } from '../core/record.ts';
import { toPuertaError } from '../../shared/errors.ts';
import { routeFor } from '../../shared/routes.ts';
import type { OriginEnv } from '../core/env.ts';
import { errorHandler } from './error-handler.ts';

/**
 * Gives every request its id, logger and metadata record, and ends the record for answers that
 * are not streams (streams end their own record when the last frame is written).
 */
export function recordMiddleware(deps: { log: Logger; observers: Observers }): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    // The shared logger: only a failure logs per request, and it names the request itself (no child per request).
    c.set('log', deps.log);
    const rec: RequestRecord = {
      requestId,
      route: c.req.path,
      routeEntry: routeFor(c.req.method, c.req.path),
      tenant: { id: 'anonymous', via: 'none' },
      stream: false,
      receivedAt: Date.now(),
      bytesIn: 0,
      bytesOut: 0,
      keepalives: 0,
    };
    c.set('record', rec);
    try {
      await next();
    } catch (thrown) {
      // Hono hands only Error instances to onError; anything else thrown (an abort reason given
      // as a string, say) would pass every middleware and leave the request without a record.
      const err = thrown instanceof Error ? thrown : new Error(`non-Error thrown: ${String(thrown)}`);
      c.error = err;
      c.res = await errorHandler(err, c);
    }
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
    c.res.headers.set('server-timing', serverTiming(rec));
    if (rec.stream && c.res.status === 200) return;
    // Whatever was thrown, as the error the client was answered with (errorHandler does the same).
    const err = c.error ? toPuertaError(c.error) : undefined;
    const bodyLength = Number(c.res.headers.get('content-length') ?? 0);
    rec.bytesOut = Number.isFinite(bodyLength) ? bodyLength : 0;
    if (rec.publicModel !== undefined || c.res.status >= 400) {
      // Content logging (a tenant's explicit opt-in) keeps the answer; everyone else's is never read.
      if (!rec.stream && c.res.body && deps.observers.capturesContent(rec)) rec.capturedBody = await c.res.clone().text();
      deps.observers.end(rec, c.res.status, err, c.req.raw.signal.aborted ? 'client_cancelled' : undefined);
    }
  };
}
