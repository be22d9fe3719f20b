/**
 * OpenAI Responses' error wire: the OpenAI error body before the first byte; a started stream
 * ends with `response.failed` (the response with its error) and then the `error` event, or
 * normally with `response.completed` / `response.incomplete`.
 */
import { encodeEvent } from '../sse.ts';
import type { ErrorShape } from './errors.ts';
import { lastEventIs } from './sse-tail.ts';

export const responsesErrors: ErrorShape = {
  body: (err, requestId) => err.body(requestId),
  streamError(err, requestId) {
    const error = { code: err.code ?? err.type, message: err.message };
    // The edge does not know the response's id: it is named after the request, which it does know.
    const failed = encodeEvent('response.failed', JSON.stringify({ type: 'response.failed', response: { id: `resp_${requestId ?? 'unknown'}`, object: 'response', status: 'failed', error, output: [] } }));
    const tail = encodeEvent('error', JSON.stringify({ type: 'error', code: err.code, message: err.message, param: err.param, retryable: err.retryable, ...(requestId !== undefined ? { request_id: requestId } : {}) }));
    const out = new Uint8Array(failed.byteLength + tail.byteLength);
    out.set(failed, 0);
    out.set(tail, failed.byteLength);
    return out;
  },
  endedCleanly: (tail) => lastEventIs(tail, ['response.completed', 'response.incomplete', 'response.failed', 'error']),
};
