/**
 * Ollama's /api/chat and /api/generate as generation dialects: to an engine of Ollama's own wire
 * the body is relayed as is by the Ollama upstream dialect's passthrough (the answer comes back
 * as the engine wrote it, so the official clients work unchanged), exactly as OpenAI chat is to
 * an OpenAI-compatible engine; to any other engine the request is translated both ways.
 */
import type { z } from 'zod';
import { ollamaChatRequestSchema, ollamaGenerateRequestSchema } from '../../../../shared/schemas/ollama.ts';
import { ndjsonFraming } from '../../../stream/framing.ts';
import { chatLead, promptLead } from '../conversation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { nativeChatToGeneration, nativeGenerateToGeneration } from './to-generation.ts';
import { nativeQueuedLine, nativeResponse, nativeWriter } from './writer.ts';

type ChatBody = z.infer<typeof ollamaChatRequestSchema>;
type GenerateBody = z.infer<typeof ollamaGenerateRequestSchema>;

/** What the two have in common: Ollama's stream rule (on unless `false`), its cap and its wire. */
function nativeGeneration<B extends { model: string; stream?: boolean | undefined; options?: { num_predict?: number | null | undefined } | undefined }>(
  chat: boolean,
  schema: z.ZodType<B>,
  toGeneration: GenerationDialect<B>['toGeneration'],
): GenerationDialect<B> {
  return {
    schema,
    stream: (b) => b.stream !== false,
    maxTokens: (b) => {
      const n = b.options?.num_predict;
      return typeof n === 'number' && n >= 0 ? n : undefined;
    },
    // NDJSON has no comments: a queued request's keepalive is an empty chunk naming the model.
    framing: (b) => ({ ...ndjsonFraming, queued: (s) => nativeQueuedLine(b.model, chat, s) }),
    passthroughWire: 'ollama',
    translatesOnDemand: true,
    toGeneration,
    response: (r, b) => nativeResponse(b.model, chat, r),
    writer: (b) => nativeWriter(b.model, chat),
  };
}

export const ollamaChat: GenerationDialect<ChatBody> = {
  ...nativeGeneration<ChatBody>(true, ollamaChatRequestSchema, nativeChatToGeneration),
  retrievalMessages: (b) => (Array.isArray(b.messages) ? b.messages : undefined),
  conversation: (b) => (Array.isArray(b.messages) ? chatLead(undefined, b.messages) : undefined),
};

export const ollamaGenerate: GenerationDialect<GenerateBody> = {
  ...nativeGeneration<GenerateBody>(false, ollamaGenerateRequestSchema, nativeGenerateToGeneration),
  conversation: (b) => promptLead(b.system, b.prompt),
};
