import type { MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';
import { errors } from '../../shared/errors.ts';
import type { OriginEnv } from '../core/env.ts';

/**
 * The request body limit (413 past `maxBytes`). A body with a Content-Length is judged by the
 * header alone: Node's HTTP parser never delivers more bytes than it declares. Only that case
 * is decided here, and without touching `c.req.raw.body`: on @hono/node-server that getter
 * builds a full WHATWG Request around the socket (a ReadableStream, an AbortController, header
 * copies), the largest single CPU cost of a request when it was read just to check for a body;
 * untouched, the route's `c.req.text()` reads the Node request directly. A chunked body (no
 * length known up front) is counted while it streams in by Hono's bodyLimit, which stops at the
 * limit instead of buffering the rest. `bodyUsed` is read without building that Request either.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler<OriginEnv> {
  const tooLarge = (): never => {
    throw errors.payloadTooLarge(maxBytes);
  };
  const streaming = streamingBodyLimit({ maxSize: maxBytes, onError: tooLarge });
  // Not async: nothing is awaited here (the rest of the chain's promise is handed back as it is).
  return (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    // Already read whole by an earlier middleware (the edge signature check, which refuses a
    // body past the same limit): it is in Hono's body cache, nothing is left to count.
    if (c.req.raw.bodyUsed) return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > maxBytes) tooLarge();
      return next();
    }
    return streaming(c, next);
  };
}
