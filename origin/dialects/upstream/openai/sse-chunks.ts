/** An OpenAI-compatible engine's SSE stream as parsed chunks, failing typed for every way it breaks. */
import { createSseDecoder } from '../../../../shared/sse.ts';
import type { OpenedUpstream } from '../../../pipeline/open-upstream.ts';
import { fromNetworkError, upstreamFailures } from '../../../upstream/errors.ts';

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
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

/**
 * Yields each event's data (as sent, for a relay) and its parse, up to the engine's `[DONE]`.
 * No `[DONE]` means the stream broke: that is an error, never a quiet end.
 */
export async function* openaiSseChunks(opened: OpenedUpstream, signal: AbortSignal): AsyncGenerator<{ data: string; chunk: WireChunk }> {
  const name = opened.upstream.name;
  const pending: Array<{ data: string; chunk: WireChunk }> = [];
  let done = false;
  let failure: Error | undefined;
  const decoder = createSseDecoder({
    onEvent(ev) {
      if (done || failure) return;
      if (ev.data === '[DONE]') {
        done = true;
        return;
      }
      let chunk: WireChunk;
      try {
        chunk = JSON.parse(ev.data) as WireChunk;
      } catch {
        failure = upstreamFailures.malformed(name, ev.data.slice(0, 80));
        return;
      }
      if (ev.event === 'error' || chunk.error) {
        const e = chunk.error;
        failure = upstreamFailures.midStream(name, typeof e === 'string' ? e : (e?.message ?? ev.data.slice(0, 200)));
        return;
      }
      pending.push({ data: ev.data, chunk });
    },
  });
  const text = new TextDecoder();
  try {
    for await (const bytes of opened.res.body as AsyncIterable<Uint8Array>) {
      decoder.feed(text.decode(bytes, { stream: true }));
      for (const p of pending) yield p;
      pending.length = 0;
      if (failure) throw failure;
      if (done) return;
    }
  } catch (err) {
    if (signal.aborted || err === failure) throw err;
    throw fromNetworkError(err, name, 'body', opened.upstream.cfg.idleTimeoutMs);
  }
  throw upstreamFailures.truncated(name);
}
