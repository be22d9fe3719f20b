/** An OpenAI-compatible engine's answer (SSE chunks or one JSON) as GenerationEvents and results. */
import type { OpenedUpstream } from '../../../pipeline/open-upstream.ts';
import { openAiTimings } from '../../../upstream/engine-timings.ts';
import { upstreamFailures } from '../../../upstream/errors.ts';
import type { EventDecoder, OnEvent } from '../dialect.ts';
import { finishReason, type GenerationContext, type GenerationEvent, type GenerationResult, type ToolCall, type Usage } from '../../generation.ts';
import { chunkError, OpenAiSseReader, parseChunk, type WireChunk } from './sse-chunks.ts';

function usageOf(chunk: WireChunk): Usage {
  const u = chunk.usage;
  return { promptTokens: u?.prompt_tokens ?? 0, completionTokens: u?.completion_tokens ?? 0, engine: openAiTimings(chunk) };
}

function parseArgs(text: string, upstream: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    throw upstreamFailures.malformed(upstream, `tool call arguments are not JSON: ${text.slice(0, 80)}`);
  }
}

/**
 * Engine chunks → events, one read at a time. Tool calls arrive as fragments (name first, then
 * pieces of the arguments' JSON): they are assembled and given out whole when the engine finishes.
 */
export function openaiDecoder(opened: OpenedUpstream, ctx: GenerationContext): EventDecoder {
  const name = opened.upstream.name;
  const sse = new OpenAiSseReader(name);
  const calls = new Map<number, { id: string; name: string; args: string }>();
  const delta: Extract<GenerationEvent, { type: 'delta' }> = { type: 'delta', text: '', thinking: undefined, toolCalls: undefined, logprobs: undefined };
  let finish: string | null = null;
  let usage: Usage | undefined;
  // Chunks that carried content: the completion count of an engine that sends no usage chunk
  // (llama-cpp-python ignores stream_options), as OpenAI-compatible engines send one token a chunk.
  let counted = 0;
  let on: OnEvent;
  const onData = (data: string): void => {
    const chunk = parseChunk(data, name);
    if (chunk.error) throw chunkError(name, data, chunk);
    if (chunk.usage) usage = usageOf(chunk);
    const choice = chunk.choices?.[0];
    if (!choice) return;
    if (choice.delta?.content || choice.text || choice.delta?.tool_calls?.length || choice.delta?.reasoning || choice.delta?.reasoning_content) counted++;
    for (const tc of choice.delta?.tool_calls ?? []) {
      const i = tc.index ?? calls.size;
      const cur = calls.get(i) ?? { id: tc.id ?? `call_${ctx.requestId}_${i}`, name: '', args: '' };
      if (tc.function?.name) cur.name += tc.function.name;
      if (tc.function?.arguments) cur.args += tc.function.arguments;
      calls.set(i, cur);
    }
    const d = choice.delta;
    const thinking = d?.reasoning ?? d?.reasoning_content ?? undefined;
    const text = d?.content ?? choice.text ?? '';
    if (text || thinking) {
      delta.text = text;
      delta.thinking = thinking;
      on(delta);
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  };
  return {
    chunk(bytes, o) {
      on = o;
      if (!sse.push(bytes, onData)) return false;
      const toolCalls: ToolCall[] = [...calls.values()].map((c) => ({ id: c.id, name: c.name, arguments: parseArgs(c.args, name) }));
      if (toolCalls.length) o({ type: 'delta', text: '', toolCalls });
      o({ type: 'done', finish: finishReason(finish === 'length', toolCalls.length > 0), usage: usage ?? { promptTokens: 0, completionTokens: counted } });
      return true;
    },
    end() {
      throw upstreamFailures.truncated(name);
    },
    fail: (err) => opened.upstream.bodyFailure(err),
  };
}

export async function openaiResult(opened: OpenedUpstream, ctx: GenerationContext): Promise<GenerationResult> {
  const out = (await opened.res.body.json()) as WireChunk;
  const choice = out.choices?.[0];
  const m = choice?.message;
  const toolCalls = (m?.tool_calls ?? []).map((tc, i) => ({ id: tc.id ?? `call_${ctx.requestId}_${i}`, name: tc.function?.name ?? '', arguments: parseArgs(tc.function?.arguments ?? '', opened.upstream.name) }));
  return {
    text: m?.content ?? choice?.text ?? '',
    thinking: m?.reasoning ?? m?.reasoning_content ?? undefined,
    toolCalls,
    finish: finishReason(choice?.finish_reason === 'length', toolCalls.length > 0),
    usage: usageOf(out),
  };
}
