import { z } from 'zod';
import { MAX_EMBED_INPUTS } from './ollama.ts';

/** Client-facing OpenAI-compatible request bodies. Unknown fields are kept (clients send many). */

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.string().optional() })]),
});
const contentPart = z.discriminatedUnion('type', [textPart, imagePart]);

const toolCall = z.object({
  id: z.string().optional(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).optional(),
  tool_call_id: z.string().optional(),
  /** Reasoning text of an earlier assistant turn (Ollama's `thinking`). */
  reasoning: z.string().optional(),
  /** The same, as DeepSeek, vLLM and LiteLLM name it; gpt-oss tool loops send it back. */
  reasoning_content: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * OpenAI's reasoning efforts, as Ollama maps them to `think`: `none` turns reasoning off, the
 * ends of OpenAI's scale clamp to Ollama's (`minimal` → low, `xhigh` → high).
 */
export const reasoningEfforts = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof reasoningEfforts)[number];
export const reasoningEffortSchema = z.enum(reasoningEfforts, { error: `must be one of ${reasoningEfforts.join(', ')}` });

const stop = z.union([z.string(), z.array(z.string()).max(16)]);

const common = {
  model: z.string().min(1, 'model is required'),
  stream: z.boolean().default(false),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  stop: stop.nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  n: z.literal(1, 'only n=1 is supported').nullish(),
  user: z.string().optional(),
};

export const chatCompletionRequestSchema = z.looseObject({
  ...common,
  messages: z.array(chatMessageSchema).min(1, 'messages must contain at least one message'),
  max_completion_tokens: z.number().int().positive().nullish(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
      }),
    )
    .optional(),
  tool_choice: z.unknown().optional(),
  response_format: z
    .union([
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({ type: z.literal('json_schema'), json_schema: z.looseObject({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()) }) }),
    ])
    .optional(),
  reasoning_effort: reasoningEffortSchema.nullish(),
  /** OpenRouter's and the Responses API's spelling; wins over reasoning_effort, as in Ollama. */
  reasoning: z.looseObject({ effort: reasoningEffortSchema.nullish() }).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0, 'must be between 0 and 20').max(20, 'must be between 0 and 20').nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const completionRequestSchema = z.looseObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).length(1, 'only one prompt per request is supported')]),
  suffix: z.string().nullish(),
  echo: z.literal(false, 'echo is not supported').nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/** OpenAI also takes token ids (`[1, 2]` or `[[1, 2], [3]]`); Ollama embeds text only. */
function isTokenInput(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' || (Array.isArray(x) && x.every((y) => typeof y === 'number')));
}

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1, 'model is required'),
  input: z.union([
    z.string(),
    // Never accepted: a branch of its own, ahead of the string array, so a refusal of token ids
    // says why instead of naming their first element (the 400 reports the first branch past
    // the type check).
    z.custom<never>(() => false, {
      error: (iss) =>
        isTokenInput(iss.input)
          ? 'token arrays are not supported (the engine embeds text): send a string or an array of strings'
          : `must be a string or an array of 1 to ${MAX_EMBED_INPUTS} strings`,
    }),
    z.array(z.string()).min(1, 'input must not be empty').max(MAX_EMBED_INPUTS, `at most ${MAX_EMBED_INPUTS} inputs per request`),
  ]),
  encoding_format: z.enum(['float', 'base64']).default('float'),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;
