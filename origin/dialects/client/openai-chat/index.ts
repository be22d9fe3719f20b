/** OpenAI chat completions (`POST /v1/chat/completions`). */
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../../shared/schemas/openai.ts';
import { sseFraming } from '../../../stream/framing.ts';
import { chatLead, clientId } from '../conversation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { newId, openAiLogprobs, openAiToolCalls, openAiUsage, withReasoning } from '../openai-common/chunks.ts';
import { chatToGeneration } from './to-generation.ts';
import { ChatChunkStream } from './writer.ts';

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
  writer: (req) => new ChatChunkStream(req.model, req.stream_options?.include_usage === true),
};
