/**
 * Anthropic Messages request bodies, as far as they are honoured. Objects are loose: fields a
 * client sends that the engine cannot use (cache_control, context_management, output_config,
 * citations…) are accepted and ignored, never a failure.
 */
import { z } from 'zod';

const text = z.looseObject({ type: z.literal('text'), text: z.string() });
const image = z.looseObject({
  type: z.literal('image'),
  source: z.looseObject({ type: z.string(), media_type: z.string().optional(), data: z.string().optional(), url: z.string().optional() }),
});
const toolUse = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string().min(1), input: z.unknown() });
const toolResult = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([text, image, z.looseObject({ type: z.string() })]))]).optional(),
  is_error: z.boolean().optional(),
});
const thinking = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() });
/** Any other block (redacted_thinking, document, server tool results…): kept, then skipped. */
const other = z.looseObject({ type: z.string() });

export const contentBlock = z.union([text, image, toolUse, toolResult, thinking, other]);
export type ContentBlock = z.infer<typeof contentBlock>;

const message = z.looseObject({
  // `system` inside messages is not Anthropic's API, but Claude Code sends it: read as a system turn.
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlock)]),
});
export type AnthropicMessage = z.infer<typeof message>;

const tool = z.looseObject({
  type: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

const base = {
  model: z.string().min(1, 'model is required'),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional(),
  messages: z.array(message).min(1, 'messages must contain at least one message'),
  tools: z.array(tool).optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() })
    .refine((c) => c.type !== 'tool' || !!c.name, 'tool_choice of type "tool" needs a name')
    .optional(),
  thinking: z
    .looseObject({ type: z.enum(['enabled', 'disabled', 'adaptive']), budget_tokens: z.number().int().nonnegative().optional() })
    .optional(),
};

export const messagesRequestSchema = z.looseObject({
  ...base,
  max_tokens: z.number().int().positive('max_tokens must be a positive integer'),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().positive().optional(),
  stop_sequences: z.array(z.string()).max(16).optional(),
  metadata: z.looseObject({}).optional(),
  stream: z.boolean().default(false),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

export const countTokensRequestSchema = z.looseObject(base);
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
