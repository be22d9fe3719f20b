import type { PuertaError } from '../../shared/errors.ts';
import { ERROR_SHAPES } from '../../shared/dialects/errors.ts';
import { KEEPALIVE_FRAME, SSE_HEADERS } from '../../shared/sse.ts';

/** How a streamed response is framed: SSE for OpenAI clients, NDJSON for Ollama clients. */
export interface Framing {
  headers: Readonly<Record<string, string>>;
  /** Sent after each silence of the keepalive interval; null where the format has no comment syntax. */
  keepalive: Uint8Array | null;
  /** The last frame of a stream that failed after its first byte. */
  error(err: PuertaError, requestId: string): Uint8Array;
}

export const sseFraming: Framing = {
  headers: SSE_HEADERS,
  keepalive: KEEPALIVE_FRAME,
  error: ERROR_SHAPES.openai.streamError,
};

/**
 * Ollama's own way to fail a started stream: one `{"error":"…"}` line and no `done:true` object,
 * which the official clients raise as an error. The relay ends any partial line first.
 * NDJSON has no comments, so no keepalive here.
 */
export const ndjsonFraming: Framing = {
  headers: Object.freeze({ 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' }),
  keepalive: null,
  error: ERROR_SHAPES.ollama.streamError,
};
