/** OpenAI's error wire: `{"error":{message,type,code,param},"request_id"}`; streams end with `[DONE]`. */
import { encodeErrorEvent } from '../sse.ts';
import type { ErrorShape } from './errors.ts';
import { lastSseFrame } from './sse-tail.ts';

export const openaiErrors: ErrorShape = {
  body: (err, requestId) => err.body(requestId),
  streamError: (err, requestId) => encodeErrorEvent(err, requestId),
  endedCleanly(tail) {
    const last = lastSseFrame(tail);
    return last !== undefined && /(^|\n)(data: ?\[DONE\]|event: ?error)\r?(\n|$)/.test(last);
  },
};
