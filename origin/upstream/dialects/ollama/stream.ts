/** Ollama's NDJSON answer (streamed or whole) as GenerationEvents and results. */
import { NdjsonSplitter } from '../../../stream/ndjson-splitter.ts';
import type { EventDecoder, OnEvent } from '../dialect.ts';
import type { OpenedUpstream } from '../dialect.ts';
import { ollamaTimings } from '../../engine-timings.ts';
import { upstreamFailures } from '../../errors.ts';
import { decodeWhole } from '../../whole-text.ts';
import type { PuertaError } from '../../../../shared/errors.ts';
import { finishReason, type GenerationContext, type GenerationEvent, type GenerationResult, type TokenLogprob, type ToolCall, type Usage } from '../../../core/generation.ts';
import type { OllamaChatChunk, OllamaLogprob, OllamaToolCall } from './types.ts';
import { readTokenLine } from './token-line.ts';

/** The official Ollama client reads lines up to 8 MB; anything longer is a broken upstream. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** One NDJSON line as Ollama's chunk, failing typed for a line that is not JSON or is an error. */
function parseLine(line: string, upstream: string): OllamaChatChunk {
  let chunk: OllamaChatChunk;
  try {
    chunk = JSON.parse(line) as OllamaChatChunk;
  } catch {
    throw upstreamFailures.malformed(upstream, line.length > 80 ? line.slice(0, 80) + '…' : line);
  }
  if (typeof chunk.error === 'string') throw upstreamFailures.midStream(upstream, chunk.error);
  return chunk;
}

export function usageOf(final: OllamaChatChunk): Usage {
  return { promptTokens: final.prompt_eval_count ?? 0, completionTokens: final.eval_count ?? 0, engine: ollamaTimings(final) };
}

/** Ollama's id for each call when it gives one; otherwise numbered within the answer, under the request's id. */
function toolCalls(calls: OllamaToolCall[], ctx: GenerationContext, start: number): ToolCall[] {
  return calls.map((tc, i) => ({ id: tc.id ?? `call_${ctx.requestId}_${start + i}`, name: tc.function.name, arguments: tc.function.arguments ?? {} }));
}

function logprobsOf(lps: OllamaLogprob[] | undefined): TokenLogprob[] | undefined {
  if (!lps?.length) return undefined;
  return lps.map((lp) => ({ token: lp.token, logprob: lp.logprob, ...(lp.bytes ? { bytes: lp.bytes } : {}), ...(lp.top_logprobs ? { top: lp.top_logprobs } : {}) }));
}

type Delta = Extract<GenerationEvent, { type: 'delta' }>;

/**
 * Ollama's NDJSON stream as events, one read at a time: each line is one engine chunk, given as
 * one delta event (the same object each time), and the `done` line ends the answer. One object
 * per stream (and its line callback), as it lives as long as the stream.
 */
class OllamaDecoder implements EventDecoder {
  private readonly lines: NdjsonSplitter;
  private readonly delta: Delta = { type: 'delta', text: '', thinking: undefined, toolCalls: undefined, logprobs: undefined };
  private calls = 0;
  private on: OnEvent = ignore;

  constructor(
    private readonly opened: OpenedUpstream,
    private readonly ctx: GenerationContext,
  ) {
    const name = opened.upstream.name;
    this.lines = new NdjsonSplitter(MAX_LINE_BYTES, (n) => upstreamFailures.malformed(name, `line longer than ${n} bytes`));
  }

  private readonly onLine = (bytes: Buffer, start: number, end: number): boolean => {
    const { delta, on } = this;
    // A plain token line (nearly every line): its two strings, without parsing the object.
    if (readTokenLine(bytes, start, end, delta)) {
      delta.toolCalls = undefined;
      delta.logprobs = undefined;
      on(delta);
      return false;
    }
    const chunk = parseLine(decodeWhole(bytes, start, end), this.opened.upstream.name);
    const m = chunk.message;
    const tc = m?.tool_calls?.length ? toolCalls(m.tool_calls, this.ctx, this.calls) : undefined;
    if (tc) this.calls += tc.length;
    // /api/chat answers in `message`, /api/generate in `response`.
    delta.text = m ? m.content : (chunk.response ?? '');
    delta.thinking = m ? m.thinking : chunk.thinking;
    delta.toolCalls = tc;
    delta.logprobs = logprobsOf(chunk.logprobs);
    on(delta);
    if (!chunk.done) return false;
    on({ type: 'done', finish: finishReason(chunk.done_reason === 'length', this.calls > 0), usage: usageOf(chunk) });
    return true;
  };

  chunk(bytes: Uint8Array, on: OnEvent): boolean {
    this.on = on;
    return this.lines.push(bytes, this.onLine);
  }

  end(on: OnEvent): void {
    this.on = on;
    const last = this.lines.rest();
    if (last !== null && this.onLine(last, 0, last.length)) return;
    throw upstreamFailures.truncated(this.opened.upstream.name);
  }

  fail(err: unknown): PuertaError {
    return this.opened.upstream.bodyFailure(err);
  }
}

const ignore: OnEvent = () => {};

export function ollamaDecoder(opened: OpenedUpstream, ctx: GenerationContext): EventDecoder {
  return new OllamaDecoder(opened, ctx);
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
