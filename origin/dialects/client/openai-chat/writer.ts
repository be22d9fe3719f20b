/**
 * Generation events → OpenAI chat chunks: the first delta carries the role, each later one its
 * text, reasoning, tool calls and logprobs; the stream ends with the finish chunk, the usage
 * chunk when asked for, and `[DONE]`. A delta of text and reasoning only (nearly every event) is
 * written from the stream's template (ChunkWriter's frames); any other goes through the general
 * JSON of the delta object.
 */
import type { GenerationEvent } from '../../../core/generation.ts';
import { DONE_FRAME, encodeData } from '../../../../shared/sse.ts';
import type { StreamWriter } from '../dialect.ts';
import { ChunkWriter, newId, openAiToolCalls, openAiUsage, withReasoning } from '../openai-common/chunks.ts';

const NO_FRAMES: Uint8Array[] = [];

/** One object per stream, as it lives as long as the stream. */
export class ChatChunkStream implements StreamWriter {
  private readonly chunks: ChunkWriter;
  private first = true;
  private toolIndex = 0;

  constructor(
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.chunks = new ChunkWriter(newId('chatcmpl'), 'chat.completion.chunk', Math.floor(Date.now() / 1000), model);
  }

  start(): Uint8Array[] {
    return NO_FRAMES;
  }

  write(ev: GenerationEvent): Uint8Array | Uint8Array[] | undefined {
    const { chunks } = this;
    if (ev.type === 'done') {
      const finish = chunks.finishFrame(ev.finish);
      return this.includeUsage ? [finish, encodeData(chunks.usage(openAiUsage(ev.usage))), DONE_FRAME] : [finish, DONE_FRAME];
    }
    if (!ev.toolCalls?.length && !ev.logprobs?.length && typeof ev.text === 'string' && (ev.thinking === undefined || typeof ev.thinking === 'string')) {
      if (this.first) {
        this.first = false;
        return chunks.firstFrame(ev.text, ev.thinking);
      }
      return ev.text === '' && !ev.thinking ? undefined : chunks.contentFrame(ev.text, ev.thinking);
    }
    const hasContent = ev.text !== '' || !!ev.thinking || !!ev.toolCalls?.length || !!ev.logprobs?.length;
    const wasFirst = this.first;
    this.first = false;
    if (!wasFirst && !hasContent) return undefined;
    const delta: Record<string, unknown> = wasFirst ? { role: 'assistant', content: ev.text } : { content: ev.text };
    withReasoning(delta, ev.thinking);
    if (ev.toolCalls?.length) {
      delta.tool_calls = openAiToolCalls(ev.toolCalls, this.toolIndex);
      this.toolIndex += ev.toolCalls.length;
    }
    return encodeData(chunks.chat(delta, null, ev.logprobs));
  }
}
