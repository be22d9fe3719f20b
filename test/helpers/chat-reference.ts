import { ChunkWriter, openAiToolCalls, openAiUsage, withReasoning } from '../../origin/dialects/client/openai-common/chunks.ts';
import type { GenerationEvent } from '../../origin/core/generation.ts';
import { DONE_FRAME, encodeData } from '../../shared/sse.ts';

/**
 * The OpenAI chat writer as the general encoder alone would write it, frame by frame: every chunk
 * an object, stringified whole. The oracle that the frames written from bytes are held to.
 */
export function generalChatFrames(w: ChunkWriter, events: GenerationEvent[], includeUsage: boolean): Uint8Array[] {
  let first = true;
  let toolIndex = 0;
  const out: Uint8Array[] = [];
  for (const ev of events) {
    if (ev.type === 'done') {
      out.push(encodeData(w.chat({}, ev.finish)));
      if (includeUsage) out.push(encodeData(w.usage(openAiUsage(ev.usage))));
      out.push(DONE_FRAME);
      continue;
    }
    const hasContent = ev.text !== '' || !!ev.thinking || !!ev.toolCalls?.length || !!ev.logprobs?.length;
    const wasFirst = first;
    first = false;
    if (!wasFirst && !hasContent) continue;
    const d: Record<string, unknown> = wasFirst ? { role: 'assistant', content: ev.text } : { content: ev.text };
    withReasoning(d, ev.thinking);
    if (ev.toolCalls?.length) {
      d.tool_calls = openAiToolCalls(ev.toolCalls, toolIndex);
      toolIndex += ev.toolCalls.length;
    }
    out.push(encodeData(w.chat(d, null, ev.logprobs)));
  }
  return out;
}
