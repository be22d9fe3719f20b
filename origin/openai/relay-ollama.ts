import { DONE_FRAME, encodeData } from '../../shared/sse.ts';
import type { OllamaChatChunk } from '../ollama/types.ts';
import type { OpenedUpstream } from '../pipeline/open-upstream.ts';
import type { RequestRecord } from '../pipeline/record.ts';
import type { Emit } from '../stream/stream-response.ts';
import { ndjsonLines } from '../stream/ndjson-lines.ts';
import { fromNetworkError, upstreamFailures } from '../upstream/errors.ts';
import { ChunkWriter, finishReason, openAiToolCalls, usageOf } from './chunks.ts';

/** The official Ollama client reads lines up to 8 MB; anything longer is a broken upstream. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface OllamaRelayOptions {
  mode: 'chat' | 'completion';
  writer: ChunkWriter;
  includeUsage: boolean;
  rec: RequestRecord;
}

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

/** Ollama /api/chat or /api/generate stream → OpenAI chat.completion.chunk / text_completion SSE. */
export async function relayOllamaToOpenAi(opened: OpenedUpstream, emit: Emit, signal: AbortSignal, o: OllamaRelayOptions): Promise<void> {
  const { writer, mode } = o;
  let first = true;
  let toolIndex = 0;
  for await (const chunk of ollamaLines(opened, signal)) {
    let frame: string | undefined;
    if (mode === 'chat') {
      const m = chunk.message;
      const hasContent = !!m && (m.content !== '' || !!m.thinking || !!m.tool_calls?.length);
      if (first || hasContent) {
        const delta: Record<string, unknown> = first ? { role: 'assistant', content: m?.content ?? '' } : { content: m?.content ?? '' };
        if (m?.thinking) delta.reasoning = m.thinking;
        if (m?.tool_calls?.length) {
          delta.tool_calls = openAiToolCalls(m.tool_calls, o.rec.requestId, toolIndex);
          toolIndex += m.tool_calls.length;
        }
        frame = writer.chat(delta);
      }
    } else if (chunk.response) {
      frame = writer.text(chunk.response);
    }
    first = false;
    if (frame !== undefined) {
      const p = emit(encodeData(frame));
      if (p) await p;
    }
    if (chunk.done) {
      const usage = usageOf(chunk);
      o.rec.promptTokens = usage.prompt_tokens;
      o.rec.completionTokens = usage.completion_tokens;
      const reason = finishReason(chunk.done_reason, toolIndex > 0);
      await emit(encodeData(mode === 'chat' ? writer.chat({}, reason) : writer.text('', reason)));
      if (o.includeUsage) await emit(encodeData(writer.usage(usage)));
      await emit(DONE_FRAME);
      return;
    }
  }
  throw upstreamFailures.truncated(opened.upstream.name);
}
