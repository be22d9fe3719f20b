import { chatCompletionRequestSchema } from '../../shared/schemas/openai.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { finishReason, newId, openAiToolCalls } from './chunks.ts';
import { generationRoute } from './generation-route.ts';
import { chatToOllama } from './to-ollama.ts';

/** `POST /v1/chat/completions` over Ollama's /api/chat (or an OpenAI engine's own route). */
export function chatCompletions(deps: OriginDeps) {
  return generationRoute(deps, {
    schema: chatCompletionRequestSchema,
    mode: 'chat',
    priority: 'interactive',
    ollama: { path: '/api/chat', body: chatToOllama },
    openaiPath: '/v1/chat/completions',
    fromOllama: (r, req, rec) => {
      const message: Record<string, unknown> = { role: 'assistant', content: r.message?.content ?? '' };
      if (r.message?.thinking) message.reasoning = r.message.thinking;
      const calls = r.message?.tool_calls ?? [];
      if (calls.length) message.tool_calls = openAiToolCalls(calls, rec.requestId, 0);
      return {
        id: newId('chatcmpl'),
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: req.model,
        system_fingerprint: 'fp_puerta',
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(r.done_reason, calls.length > 0) }],
      };
    },
  });
}
