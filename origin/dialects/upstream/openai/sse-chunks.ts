/** An OpenAI-compatible engine's SSE stream, read synchronously, failing typed for every way it breaks. */
import { createSseDecoder, type EventSourceMessage } from '../../../../shared/sse.ts';
import type { PuertaError } from '../../../../shared/errors.ts';
import { upstreamFailures } from '../../../upstream/errors.ts';

export interface WireToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}
interface WireMessage {
  content?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls?: WireToolCall[];
}
export interface WireChoice {
  delta?: WireMessage;
  message?: WireMessage;
  text?: string;
  finish_reason?: string | null;
}
export interface WireChunk {
  choices?: WireChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
  /** llama.cpp's own timings, on its last chunk. */
  timings?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number; cache_n?: number } | null;
  error?: { message?: string } | string;
}

/** An event's data as a chunk; data that is not JSON is a broken upstream. */
export function parseChunk(data: string, upstream: string): WireChunk {
  try {
    return JSON.parse(data) as WireChunk;
  } catch {
    throw upstreamFailures.malformed(upstream, data.slice(0, 80));
  }
}

/** The engine's error, from an `event: error` or a chunk carrying `error`. */
export function chunkError(upstream: string, data: string, chunk: WireChunk): PuertaError {
  const e = chunk.error;
  return upstreamFailures.midStream(upstream, typeof e === 'string' ? e : (e?.message ?? data.slice(0, 200)));
}

/**
 * Splits the body into events' data, one read at a time, up to the engine's `[DONE]` (later
 * events are ignored). An `event: error` is thrown typed; what the data says is the caller's.
 * No `[DONE]` means the stream broke: the caller fails it as truncated, never a quiet end.
 */
export class OpenAiSseReader {
  private readonly text = new TextDecoder();
  private readonly parser = createSseDecoder({ onEvent: (ev) => this.event(ev) });
  private done = false;
  private onData: (data: string) => void = () => {};

  constructor(private readonly upstream: string) {}

  /** Gives each event's data of this read to `onData`; true once `[DONE]` was read. */
  push(bytes: Uint8Array, onData: (data: string) => void): boolean {
    this.onData = onData;
    this.parser.feed(this.text.decode(bytes, { stream: true }));
    return this.done;
  }

  private event(ev: EventSourceMessage): void {
    if (this.done) return;
    if (ev.data === '[DONE]') {
      this.done = true;
      return;
    }
    if (ev.event === 'error') throw chunkError(this.upstream, ev.data, parseChunk(ev.data, this.upstream));
    this.onData(ev.data);
  }
}
