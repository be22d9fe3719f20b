/**
 * Ollama's error wire: `{"error":"…"}` (the ollama clients read `error` as a string), and for a
 * started NDJSON stream one such line with no `done:true` object after it.
 */
import type { ErrorShape } from './error-shape.ts';

const enc = new TextEncoder();

export const ollamaErrors: ErrorShape = {
  // The engine's own words when it said something (Ollama's clients match on them), else ours.
  body: (err, requestId) => ({ error: err.engineText ?? err.message, request_id: requestId }),
  streamError: (err, requestId) => enc.encode(JSON.stringify({ error: err.engineText ?? err.message, request_id: requestId }) + '\n'),
  endedCleanly(tail) {
    if (!tail.endsWith('\n')) return false;
    const lines = tail.split('\n').filter((l) => l.trim() !== '');
    const last = lines[lines.length - 1];
    // A pattern, not JSON.parse: the tail may start mid-line, and only these keys matter.
    return last !== undefined && /"done"\s*:\s*true|"error"\s*:/.test(last);
  },
};
