import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorResponse } from '../../shared/dialects/errors.ts';
import { toPuertaError } from '../../shared/errors.ts';
import { errorDialectFor } from '../../shared/routes.ts';
import type { OriginEnv } from '../core/env.ts';

/**
 * Every failure before the first byte becomes the right status and a body the caller's client
 * understands: the route's own dialect (shared/routes.ts, shared/dialects/).
 */
export const errorHandler: ErrorHandler<OriginEnv> = (err, c) => {
  if (err instanceof HTTPException && !(err.cause && typeof err.cause === 'object')) {
    return err.getResponse();
  }
  const e = toPuertaError(err);
  const requestId = c.get('requestId');
  const log = c.get('log');
  if (e.status >= 500 && e.code === 'internal_error') log?.error({ requestId, err }, 'unhandled error');
  else if (e.status >= 500) log?.warn({ requestId, code: e.code }, e.logMessage);
  if (e.status === 499) return new Response(null, { status: 499 });
  return errorResponse(errorDialectFor(c.req.path), e, requestId);
};
