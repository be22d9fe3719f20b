/**
 * OpenAI Responses request bodies, as far as they are honoured (stateless: no store, no
 * previous_response_id). Objects are loose: fields the engine cannot use (include, truncation,
 * prompt_cache_key, service_tier…) are accepted and ignored.
 */
import { z } from 'zod';

const part = z.looseObject({ type: z.string(), text: z.string().optional(), image_url: z.string().nullish() });

const messageItem = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(part)]),
});
const functionCall = z.looseObject({ type: z.literal('function_call'), call_id: z.string(), name: z.string().min(1), arguments: z.string() });
const functionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.union([z.string(), z.array(part)]),
});
const reasoning = z.looseObject({
  type: z.literal('reasoning'),
  summary: z.array(z.looseObject({ text: z.string() })).optional(),
  content: z.array(z.looseObject({ text: z.string() })).nullish(),
});
/** Any other item (web_search_call, custom tool calls…): kept, then skipped. */
const other = z.looseObject({ type: z.string() });

export const inputItem = z.union([messageItem, functionCall, functionCallOutput, reasoning, other]);
export type InputItem = z.infer<typeof inputItem>;

const tool = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});

export const responsesRequestSchema = z
  .looseObject({
    model: z.string().min(1, 'model is required'),
    input: z.union([z.string(), z.array(inputItem)]),
    instructions: z.string().nullish(),
    tools: z.array(tool).optional(),
    tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.string(), name: z.string().optional() })]).optional(),
    reasoning: z.looseObject({ effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(), summary: z.string().nullish() }).nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    text: z
      .looseObject({
        format: z
          .union([
            z.looseObject({ type: z.literal('text') }),
            z.looseObject({ type: z.literal('json_object') }),
            z.looseObject({ type: z.literal('json_schema'), name: z.string().optional(), schema: z.record(z.string(), z.unknown()) }),
          ])
          .optional(),
      })
      .nullish(),
    stream: z.boolean().default(false),
    store: z.boolean().nullish(),
    previous_response_id: z.string().nullish(),
  })
  .superRefine((r, ctx) => {
    if (r.store === true) {
      ctx.addIssue({ code: 'custom', path: ['store'], message: 'this gateway is stateless and keeps no responses: send store: false (or leave it out)' });
    }
    if (r.previous_response_id) {
      ctx.addIssue({ code: 'custom', path: ['previous_response_id'], message: 'this gateway is stateless and keeps no responses: send the whole conversation in input instead of previous_response_id' });
    }
  });
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
