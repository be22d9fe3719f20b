/** OpenAI chat completions (`POST /v1/chat/completions`). */
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../../shared/schemas/openai.ts';
import { DONE_FRAME, encodeData } from '../../../../shared/sse.ts';
import { sseFraming } from '../../../stream/framing.ts';
import { chatLead, clientId } from '../conversation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { ChunkWriter, newId, openAiLogprobs, openAiToolCalls, openAiUsage, withReasoning } from '../openai-common/chunks.ts';
import { chatToGeneration } from './to-generation.ts';

export const openaiChat: GenerationDialect<ChatCompletionRequest> = {
  schema: chatCompletionRequestSchema,
  framing: sseFraming,
  passthroughWire: 'openai',
  includeUsage: (req) => req.stream_options?.include_usage === true,
  stream: (req) => req.stream === true,
  maxTokens: (req) => req.max_completion_tokens ?? req.max_tokens ?? undefined,
  conversation: (req) => clientId(req.prompt_cache_key, req.user) ?? chatLead(undefined, req.messages),
  toGeneration: chatToGeneration,
  response(r, req) {
    const message: Record<string, unknown> = { role: 'assistant', content: r.text };
    withReasoning(message, r.thinking);
    if (r.toolCalls.length) message.tool_calls = openAiToolCalls(r.toolCalls, 0);
    return {
      id: newId('chatcmpl'),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: req.model,
      system_fingerprint: 'fp_puerta',
      choices: [{ index: 0, message, logprobs: openAiLogprobs(r.logprobs), finish_reason: r.finish }],
      usage: openAiUsage(r.usage),
    };
  },
  writer(req) {
    const writer = new ChunkWriter(newId('chatcmpl'), 'chat.completion.chunk', Math.floor(Date.now() / 1000), req.model);
    const includeUsage = req.stream_options?.include_usage === true;
    let first = true;
    let toolIndex = 0;
    return {
      start: () => [],
      write(ev) {
        if (ev.type === 'done') {
          const out = [encodeData(writer.chat({}, ev.finish))];
          if (includeUsage) out.push(encodeData(writer.usage(openAiUsage(ev.usage))));
          out.push(DONE_FRAME);
          return out;
        }
        // A token after the first, text or reasoning only (nearly every event): its frame from the template.
        if (!first && !ev.toolCalls?.length && !ev.logprobs?.length && typeof ev.text === 'string' && (ev.thinking === undefined || typeof ev.thinking === 'string')) {
          return ev.text === '' && !ev.thinking ? undefined : writer.contentFrame(ev.text, ev.thinking);
        }
        const hasContent = ev.text !== '' || !!ev.thinking || !!ev.toolCalls?.length || !!ev.logprobs?.length;
        const wasFirst = first;
        first = false;
        if (!wasFirst && !hasContent) return undefined;
        const delta: Record<string, unknown> = wasFirst ? { role: 'assistant', content: ev.text } : { content: ev.text };
        withReasoning(delta, ev.thinking);
        if (ev.toolCalls?.length) {
          delta.tool_calls = openAiToolCalls(ev.toolCalls, toolIndex);
          toolIndex += ev.toolCalls.length;
        }
        return encodeData(writer.chat(delta, null, ev.logprobs));
      },
    };
  },
};
