/**
 * Each client dialect's own way to say that something failed: the JSON body before the first
 * byte, and the last frame of a stream that failed after it. Shared by the origin and the edge,
 * so a client gets the same shape whichever of them refused it. A dialect's file says how; this
 * table says which.
 */
import type { PuertaError } from '../errors.ts';
import { anthropicErrors } from './anthropic.ts';
import { geminiErrors } from './gemini.ts';
import { ollamaErrors } from './ollama.ts';
import { openaiErrors } from './openai.ts';
import { responsesErrors } from './responses.ts';

export type StreamWire = 'sse' | 'ndjson';

export interface ErrorShape {
  /** The JSON error body of a refused request. */
  body(err: PuertaError, requestId: string | undefined): unknown;
  /** The HTTP status this dialect's clients expect for the error; the error's own when absent. */
  status?(err: PuertaError): number;
  /**
   * The last frame of a stream that failed after its first byte. `sent` is the end of what the
   * stream already carried, when the caller kept it (the edge's guard), so the frame can go on
   * from it (Responses numbers its events).
   */
  streamError(err: PuertaError, requestId: string | undefined, sent?: string): Uint8Array;
  /**
   * Whether a stream's tail (complete frames only) already ends with its terminal frame: the
   * normal end or the dialect's own error frame. A cut-off frame never counts.
   */
  endedCleanly(tail: string): boolean;
}

export const ERROR_SHAPES = {
  openai: openaiErrors,
  ollama: ollamaErrors,
  anthropic: anthropicErrors,
  responses: responsesErrors,
  gemini: geminiErrors,
} as const satisfies Record<string, ErrorShape>;

export type ErrorDialect = keyof typeof ERROR_SHAPES;

/** The error as a Response in the dialect's shape, with its status and headers (Retry-After…). */
export function errorResponse(dialect: ErrorDialect, err: PuertaError, requestId: string | undefined): Response {
  const shape: ErrorShape = ERROR_SHAPES[dialect];
  const text = JSON.stringify(shape.body(err, requestId));
  const headers = err.responseHeaders(requestId);
  headers['content-length'] = String(new TextEncoder().encode(text).byteLength);
  return new Response(text, { status: shape.status?.(err) ?? err.status, headers });
}
