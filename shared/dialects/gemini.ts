/**
 * Google's error wire (google.rpc.Status as JSON): `{"error":{"code":400,"message","status":
 * "INVALID_ARGUMENT","details":[…]}}`, read by the Gemini SDKs and Gemini CLI. A started stream
 * (`?alt=sse`) ends with one `data:` frame carrying the same object, which the SDKs raise as an
 * ApiError with its `code`; a stream that ends normally ends on a chunk with a `finishReason`.
 * The request id rides in a `google.rpc.RequestInfo` detail, the field a 400 names in a
 * `google.rpc.BadRequest` one, as Google's own APIs report them.
 */
import type { PuertaError } from '../errors.ts';
import { encodeData } from '../sse.ts';
import { lastSseFrame } from './sse-tail.ts';

/** The canonical gRPC status name for an HTTP status, as Google's APIs pair them. */
function statusName(err: PuertaError): string {
  switch (err.status) {
    case 400:
    case 413:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      // 451 (residency) among them: Google answers a location it does not serve this way.
      return err.status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

function body(err: PuertaError, requestId: string | undefined) {
  const details: Array<Record<string, unknown>> = [];
  if (err.param !== null && err.status === 400) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: err.param, description: err.message }] });
  }
  if (err.code !== null) details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: err.code.toUpperCase(), domain: 'puerta' });
  if (requestId !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId });
  return { error: { code: err.status, message: err.message, status: statusName(err), ...(details.length ? { details } : {}) } };
}

/** An ErrorShape (checked where ERROR_SHAPES lists it, so this file need not import that table's module). */
export const geminiErrors = {
  body,
  streamError: (err: PuertaError, requestId: string | undefined): Uint8Array => encodeData(JSON.stringify(body(err, requestId))),
  endedCleanly(tail: string): boolean {
    const last = lastSseFrame(tail);
    return last !== undefined && /^data: ?\{"error":|"finishReason":/m.test(last);
  },
};
