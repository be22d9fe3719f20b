/**
 * Server-Sent Events codec. Encoding sits on the per-chunk hot path, so frames are built as one
 * string and encoded once, and the constant frames are pre-encoded.
 * Decoding uses eventsource-parser (spec-complete: CR/LF variants, multi-line data, BOM, comments).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

const encoder = new TextEncoder();

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
});

export const KEEPALIVE_FRAME: Uint8Array = encoder.encode(': keepalive\n\n');
/** A comment frame (`: text`): clients and EventSource parsers skip it. `text` must be one line. */
export function encodeComment(text: string): Uint8Array {
  return encoder.encode(': ' + text + '\n\n');
}

export const DONE_FRAME: Uint8Array = encoder.encode('data: [DONE]\n\n');

/** `data: <payload>\n\n`; payload must be a single line (JSON.stringify output is). */
export function encodeData(payload: string): Uint8Array {
  return encoder.encode('data: ' + payload + '\n\n');
}

export function encodeEvent(event: string, payload: string): Uint8Array {
  return encoder.encode('event: ' + event + '\ndata: ' + payload + '\n\n');
}

export interface SseDecoderCallbacks {
  onEvent(message: EventSourceMessage): void;
  onComment?(comment: string): void;
}

/** Incremental decoder over text chunks; feed it TextDecoder(stream:true) output. */
export function createSseDecoder(cb: SseDecoderCallbacks): { feed(text: string): void; reset(): void } {
  const parser = createParser({
    onEvent: cb.onEvent,
    ...(cb.onComment ? { onComment: cb.onComment } : {}),
  });
  return { feed: (t) => parser.feed(t), reset: () => parser.reset() };
}

export type { EventSourceMessage };
