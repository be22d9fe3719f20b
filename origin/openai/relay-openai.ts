import { createSseDecoder, DONE_FRAME, encodeData } from '../../shared/sse.ts';
import type { OpenedUpstream } from '../pipeline/open-upstream.ts';
import type { RequestRecord } from '../pipeline/record.ts';
import type { Emit } from '../stream/stream-response.ts';
import { fromNetworkError, upstreamFailures } from '../upstream/errors.ts';

interface UsageChunk {
  choices?: unknown[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

/**
 * An OpenAI-compatible engine's SSE → the client, event by event. The upstream is always asked
 * for usage (tokens are accounted from the engine's own counts); the usage chunk is dropped
 * again when the client did not ask for it. No [DONE] from the engine means the stream broke.
 */
export async function relayOpenAi(opened: OpenedUpstream, emit: Emit, signal: AbortSignal, includeUsage: boolean, rec: RequestRecord): Promise<void> {
  const name = opened.upstream.name;
  const pending: Uint8Array[] = [];
  let done = false;
  let failure: Error | undefined;
  const decoder = createSseDecoder({
    onEvent(ev) {
      if (done || failure) return;
      if (ev.data === '[DONE]') {
        done = true;
        pending.push(DONE_FRAME);
        return;
      }
      let parsed: UsageChunk;
      try {
        parsed = JSON.parse(ev.data) as UsageChunk;
      } catch {
        failure = upstreamFailures.malformed(name, ev.data.slice(0, 80));
        return;
      }
      if (ev.event === 'error' || parsed.error) {
        const e = parsed.error;
        failure = upstreamFailures.midStream(name, typeof e === 'string' ? e : (e?.message ?? ev.data.slice(0, 200)));
        return;
      }
      if (parsed.usage) {
        rec.promptTokens = parsed.usage.prompt_tokens ?? 0;
        rec.completionTokens = parsed.usage.completion_tokens ?? 0;
        if (!includeUsage && Array.isArray(parsed.choices) && parsed.choices.length === 0) return;
      }
      pending.push(encodeData(ev.data));
    },
  });
  const text = new TextDecoder();
  try {
    for await (const chunk of opened.res.body as AsyncIterable<Uint8Array>) {
      decoder.feed(text.decode(chunk, { stream: true }));
      for (const frame of pending) {
        const p = emit(frame);
        if (p) await p;
      }
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
