/**
 * Anthropic's error wire: `{"type":"error","error":{"type","message"},"request_id"}`; a started
 * stream ends with `event: error` carrying the same object, or normally with `message_stop`.
 * Anthropic's clients (the SDKs, Claude Code) read `overloaded_error` at 529 as "busy, retry".
 */
import type { PuertaError } from '../errors.ts';
import type { ErrorShape } from './error-shape.ts';
import { lastEventIs } from './sse-tail.ts';

const enc = new TextEncoder();

/** After the first byte only two kinds are told apart: busy (retry) and everything else. */
function streamType(err: PuertaError): 'overloaded_error' | 'api_error' {
  return err.type === 'overloaded_error' ? 'overloaded_error' : 'api_error';
}

export const anthropicErrors: ErrorShape = {
  body: (err, requestId) => ({
    type: 'error',
    error: { type: err.type, message: err.message },
    ...(requestId !== undefined ? { request_id: requestId } : {}),
  }),
  status: (err) => (err.type === 'overloaded_error' && err.status === 503 ? 529 : err.status),
  streamError: (err, requestId) =>
    enc.encode(
      'event: error\ndata: ' +
        JSON.stringify({ type: 'error', error: { type: streamType(err), message: err.message }, ...(requestId !== undefined ? { request_id: requestId } : {}) }) +
        '\n\n',
    ),
  endedCleanly: (tail) => lastEventIs(tail, ['message_stop', 'error']),
};
