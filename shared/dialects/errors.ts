/**
 * Each client dialect's own way to say that something failed: the JSON body before the first
 * byte, and the last frame of a stream that failed after it. Shared by the origin and the edge,
 * so a client gets the same shape whichever of them refused it. A dialect's file says how; the
 * route table (shared/routes.ts, ERROR_SHAPES) says which, next to the routes that use it.
 */
import type { PuertaError } from '../errors.ts';
import { ERROR_SHAPES, type ErrorDialect } from '../routes.ts';
import type { ErrorShape } from './error-shape.ts';

export type { ErrorShape, StreamWire } from './error-shape.ts';
export { ERROR_SHAPES, type ErrorDialect } from '../routes.ts';

/** The error as a Response in the dialect's shape, with its status and headers (Retry-After…). */
export function errorResponse(dialect: ErrorDialect, err: PuertaError, requestId: string | undefined): Response {
  const shape: ErrorShape = ERROR_SHAPES[dialect];
  const text = JSON.stringify(shape.body(err, requestId));
  const headers = err.responseHeaders(requestId);
  headers['content-length'] = String(new TextEncoder().encode(text).byteLength);
  return new Response(text, { status: shape.status?.(err) ?? err.status, headers });
}
