import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { toPuertaError } from '../../shared/errors.ts';
import type { OriginEnv } from '../types.ts';

/**
 * Every failure before the first byte becomes the right status and a body the caller's client
 * understands: OpenAI's `{"error":{…}}` on /v1, Ollama's `{"error":"…"}` on /api.
 */
export const errorHandler: ErrorHandler<OriginEnv> = (err, c) => {
  if (err instanceof HTTPException && !(err.cause && typeof err.cause === 'object')) {
    return err.getResponse();
  }
  const e = toPuertaError(err);
  const requestId = c.get('requestId');
  const log = c.get('log');
  if (e.status >= 500 && e.code === 'internal_error') log?.error({ err }, 'unhandled error');
  else if (e.status >= 500) log?.warn({ code: e.code }, e.message);
  if (e.status === 499) return new Response(null, { status: 499 });
  const headers = e.responseHeaders(requestId);
  const text = JSON.stringify(c.req.path.startsWith('/api/') ? { error: e.message, request_id: requestId } : e.body(requestId));
  headers['content-length'] = String(Buffer.byteLength(text));
  return new Response(text, { status: e.status, headers });
};
