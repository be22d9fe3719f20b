import type { PuertaError } from '../../shared/errors.ts';
import type { QueueStanding } from '../core/admission.ts';
import { ERROR_SHAPES } from '../../shared/dialects/errors.ts';
import { encodeComment, KEEPALIVE_FRAME, SSE_HEADERS } from '../../shared/sse.ts';

/** How a streamed response is framed: SSE for OpenAI clients, NDJSON for Ollama clients. */
export interface Framing {
  headers: Readonly<Record<string, string>>;
  /** Sent after each silence of the keepalive interval; null where the format has no comment syntax. */
  keepalive: Uint8Array | null;
  /** The keepalive of a request still waiting for a slot: where it stands, in the dialect's own form. */
  queued?(s: QueueStanding): Uint8Array;
  /** The last frame of a stream that failed after its first byte. */
  error(err: PuertaError, requestId: string): Uint8Array;
}

/** `: queued position=3 estimated_wait_ms=4200`: an SSE comment, which every client skips. */
export function queuedComment(s: QueueStanding): Uint8Array {
  return encodeComment(`queued position=${s.position} estimated_wait_ms=${s.estimatedWaitMs}`);
}

export const sseFraming: Framing = {
  headers: SSE_HEADERS,
  keepalive: KEEPALIVE_FRAME,
  queued: queuedComment,
  error: ERROR_SHAPES.openai.streamError,
};

/**
 * Ollama's own way to fail a started stream: one `{"error":"…"}` line and no `done:true` object,
 * which the official clients raise as an error. The relay ends any partial line first.
 * NDJSON has no comments, so no keepalive here; a queued request's keepalive is an empty chunk
 * that carries its place in the queue (ollamaQueuedFraming).
 */
export const ndjsonFraming: Framing = {
  headers: Object.freeze({ 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' }),
  keepalive: null,
  error: ERROR_SHAPES.ollama.streamError,
};
