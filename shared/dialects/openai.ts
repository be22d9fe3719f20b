/**
 * OpenAI's error wire: `{"error":{message,type,code,param},"request_id"}`; streams end with `[DONE]`.
 *
 * The `type` is OpenAI's word for the fault, not Puerta's: OpenAI answers every failure on its
 * side (an engine fault, an overloaded engine, a timeout) as `server_error`, and OpenAI clients
 * (OpenCode among them) retry what reads like that. Client faults keep their OpenAI types. A 429
 * keeps `rate_limit_error` with OpenAI's own code `rate_limit_exceeded`, the field clients match
 * (OpenAI itself names the limit that was hit, `requests` or `tokens`, in its 429's type).
 */
import type { ErrorBody, ErrorType, PuertaError } from '../errors.ts';
import { encodeEvent } from '../sse.ts';
import type { ErrorShape } from './error-shape.ts';
import { lastSseFrame } from './sse-tail.ts';

const OPENAI_TYPES: Record<ErrorType, string> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
  request_too_large: 'request_too_large',
  timeout_error: 'server_error',
  overloaded_error: 'server_error',
  api_error: 'server_error',
};

/** The error's `type` as OpenAI writes it. */
export function openaiType(err: PuertaError): string {
  return OPENAI_TYPES[err.type];
}

/** The OpenAI error body; `withRetryable` adds Puerta's `retryable` (stream error frames). */
export function openaiBody(err: PuertaError, requestId: string | undefined, withRetryable = false): ErrorBody {
  const body = err.body(requestId, withRetryable);
  body.error.type = openaiType(err);
  return body;
}

export const openaiErrors: ErrorShape = {
  body: (err, requestId) => openaiBody(err, requestId),
  // The final frame of a failed stream: `event: error` with the OpenAI error object plus `retryable`.
  streamError: (err, requestId) => encodeEvent('error', JSON.stringify(openaiBody(err, requestId, true))),
  endedCleanly(tail) {
    const last = lastSseFrame(tail);
    return last !== undefined && /(^|\n)(data: ?\[DONE\]|event: ?error)\r?(\n|$)/.test(last);
  },
};
