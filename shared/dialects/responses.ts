/**
 * OpenAI Responses' error wire: the OpenAI error body before the first byte; a started stream
 * ends with `response.failed` (the response with its error) and then the `error` event, or
 * normally with `response.completed` / `response.incomplete`.
 *
 * A stream names one response from its first event to its last, and numbers every event: the
 * openai SDKs' stream helpers refuse a `response.failed` that names another response. The id is
 * the request id's (`responseIdFor`), so whoever ends the stream, the origin's writer or the
 * edge's guard when the origin's stream is cut, names the same response, and the edge numbers
 * its frames on from the last `sequence_number` it relayed.
 */
import type { PuertaError } from '../errors.ts';
import { encodeEvent } from '../sse.ts';
import type { ErrorShape } from './error-shape.ts';
import { openaiBody } from './openai.ts';
import { lastEventIs } from './sse-tail.ts';

/** The id of the response that request `requestId` streams (and answers, unstreamed). */
export function responseIdFor(requestId: string): string {
  return `resp_${requestId}`;
}

/**
 * `response.error.code` in OpenAI's words: `server_error` for any fault on the serving side,
 * `rate_limit_exceeded` for a 429; a refusal of the request keeps Puerta's own code.
 */
export function responsesErrorCode(err: PuertaError): string {
  if (err.status >= 500) return 'server_error';
  if (err.status === 429) return 'rate_limit_exceeded';
  return err.code ?? err.type;
}

/** Where a failing stream stands: the response it named, the next sequence number, what it said. */
export interface ResponsesStreamState {
  id: string;
  /** The sequence number the next event gets. */
  seq: number;
  /** Whether `response.created` went out; when not, the failure names the response first. */
  created: boolean;
  /** The response object so far (the origin's writer has it); the edge has only the id. */
  response?: Record<string, unknown>;
}

/** The last frames of a failed stream: [`response.created`,] `response.failed`, then `error`. */
export function responsesFailureFrames(err: PuertaError, requestId: string | undefined, at: ResponsesStreamState): Uint8Array {
  let seq = at.seq;
  const createdAt = Math.floor(Date.now() / 1000);
  const base = at.response ?? { id: at.id, object: 'response', created_at: createdAt };
  const frames: Uint8Array[] = [];
  if (!at.created) {
    frames.push(encodeEvent('response.created', JSON.stringify({ type: 'response.created', sequence_number: seq++, response: { ...base, status: 'in_progress', error: null, output: [] } })));
  }
  const error = { code: responsesErrorCode(err), message: err.message };
  // Without `output` (the edge does not know it) a client keeps the items it already has.
  frames.push(encodeEvent('response.failed', JSON.stringify({ type: 'response.failed', sequence_number: seq++, response: { ...base, status: 'failed', error } })));
  frames.push(
    encodeEvent(
      'error',
      JSON.stringify({
        type: 'error',
        sequence_number: seq++,
        // The event's code is free-form (response.failed's is OpenAI's list): Puerta's own, which says more.
        code: err.code ?? error.code,
        message: err.message,
        param: err.param,
        retryable: err.retryable,
        ...(requestId !== undefined ? { request_id: requestId } : {}),
      }),
    ),
  );
  let n = 0;
  for (const f of frames) n += f.byteLength;
  const out = new Uint8Array(n);
  n = 0;
  for (const f of frames) {
    out.set(f, n);
    n += f.byteLength;
  }
  return out;
}

const SEQUENCE = /"sequence_number":(\d+)/g;

/** The state of a stream seen only from its tail (the edge's): the last sequence number it carried. */
function stateFromTail(requestId: string | undefined, sent: string | undefined): ResponsesStreamState {
  let last = -1;
  for (const m of (sent ?? '').matchAll(SEQUENCE)) last = Math.max(last, Number(m[1]));
  return { id: responseIdFor(requestId ?? 'unknown'), seq: last + 1, created: last >= 0 };
}

export const responsesErrors: ErrorShape = {
  body: (err, requestId) => openaiBody(err, requestId),
  streamError: (err, requestId, sent) => responsesFailureFrames(err, requestId, stateFromTail(requestId, sent)),
  endedCleanly: (tail) => lastEventIs(tail, ['response.completed', 'response.incomplete', 'response.failed', 'error']),
};
