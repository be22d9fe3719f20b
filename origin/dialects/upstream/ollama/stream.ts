/** Ollama's NDJSON answer (streamed or whole) as GenerationEvents and results. */
import { ndjsonLines } from '../../../stream/ndjson-lines.ts';
import type { OpenedUpstream } from '../../../pipeline/open-upstream.ts';
import { fromNetworkError, upstreamFailures } from '../../../upstream/errors.ts';
import { finishReason, type GenerationContext, type GenerationEvent, type GenerationResult, type TokenLogprob, type ToolCall, type Usage } from '../../generation.ts';
import type { OllamaChatChunk, OllamaLogprob, OllamaToolCall } from './types.ts';

/** The official Ollama client reads lines up to 8 MB; anything longer is a broken upstream. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** Reads Ollama's NDJSON lines, failing with a client-facing error for every way a stream breaks. */
export async function* ollamaLines(opened: OpenedUpstream, signal: AbortSignal): AsyncGenerator<OllamaChatChunk> {
  const name = opened.upstream.name;
  const lines = ndjsonLines(opened.res.body, MAX_LINE_BYTES, (n) => upstreamFailures.malformed(name, `line longer than ${n} bytes`));
  try {
    for await (const line of lines) {
      let chunk: OllamaChatChunk;
      try {
        chunk = JSON.parse(line) as OllamaChatChunk;
      } catch {
        throw upstreamFailures.malformed(name, line.length > 80 ? line.slice(0, 80) + '…' : line);
      }
      if (typeof chunk.error === 'string') throw upstreamFailures.midStream(name, chunk.error);
      yield chunk;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    throw fromNetworkError(err, name, 'body', opened.upstream.cfg.idleTimeoutMs);
  }
}

export function usageOf(final: OllamaChatChunk): Usage {
  return { promptTokens: final.prompt_eval_count ?? 0, completionTokens: final.eval_count ?? 0 };
}

/** Ollama's id for each call when it gives one; otherwise numbered within the answer, under the request's id. */
function toolCalls(calls: OllamaToolCall[], ctx: GenerationContext, start: number): ToolCall[] {
  return calls.map((tc, i) => ({ id: tc.id ?? `call_${ctx.requestId}_${start + i}`, name: tc.function.name, arguments: tc.function.arguments ?? {} }));
}

function logprobsOf(lps: OllamaLogprob[] | undefined): TokenLogprob[] | undefined {
  if (!lps?.length) return undefined;
  return lps.map((lp) => ({ token: lp.token, logprob: lp.logprob, ...(lp.bytes ? { bytes: lp.bytes } : {}), ...(lp.top_logprobs ? { top: lp.top_logprobs } : {}) }));
}

export async function* ollamaEvents(opened: OpenedUpstream, ctx: GenerationContext, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
  let calls = 0;
  for await (const chunk of ollamaLines(opened, signal)) {
    const m = chunk.message;
    const tc = m?.tool_calls?.length ? toolCalls(m.tool_calls, ctx, calls) : undefined;
    if (tc) calls += tc.length;
    // /api/chat answers in `message`, /api/generate in `response`.
    yield { type: 'delta', text: m ? m.content : (chunk.response ?? ''), thinking: m ? m.thinking : chunk.thinking, toolCalls: tc, logprobs: logprobsOf(chunk.logprobs) };
    if (chunk.done) {
      yield { type: 'done', finish: finishReason(chunk.done_reason === 'length', calls > 0), usage: usageOf(chunk) };
      return;
    }
  }
  throw upstreamFailures.truncated(opened.upstream.name);
}

export async function ollamaResult(opened: OpenedUpstream, ctx: GenerationContext): Promise<GenerationResult> {
  const r = (await opened.res.body.json()) as OllamaChatChunk;
  // Ollama's token-repeat abort: a whole answer that never reached done (no reason, no counts).
  if (!r.done) throw upstreamFailures.truncated(opened.upstream.name);
  const calls = toolCalls(r.message?.tool_calls ?? [], ctx, 0);
  return {
    text: r.message ? r.message.content : (r.response ?? ''),
    thinking: r.message ? r.message.thinking : r.thinking,
    toolCalls: calls,
    finish: finishReason(r.done_reason === 'length', calls.length > 0),
    usage: usageOf(r),
    logprobs: logprobsOf(r.logprobs),
  };
}
