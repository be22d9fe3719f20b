/** The Responses API's response object and output items. */
import type { GenerationResult, ToolCall, Usage } from '../../../core/generation.ts';
import type { ResponsesRequest } from './schema.ts';

export function newId(prefix: 'resp' | 'msg' | 'rs' | 'fc'): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, '')}`;
}

export function responsesUsage(u: Usage) {
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

/** An item's status: `incomplete` is one a failed stream cut off. */
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export const reasoningItem = (id: string, text: string, status: ItemStatus) => ({
  type: 'reasoning',
  id,
  summary: [],
  content: text === '' && status === 'in_progress' ? [] : [{ type: 'reasoning_text', text }],
  status,
});

export const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

export const messageItem = (id: string, text: string | null, status: ItemStatus) => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content: text === null ? [] : [outputText(text)],
});

export const functionCallItem = (id: string, tc: ToolCall, status: 'in_progress' | 'completed', args = JSON.stringify(tc.arguments)) => ({
  type: 'function_call',
  id,
  call_id: tc.id,
  name: tc.name,
  arguments: args,
  status,
});

/** The response object: what the request asked for echoed, with its output and usage when known. */
export function responseObject(
  id: string,
  createdAt: number,
  req: ResponsesRequest,
  state: { status: 'in_progress' | 'completed' | 'incomplete'; output: unknown[]; usage: Usage | null },
) {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: state.status,
    error: null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: req.model,
    output: state.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    store: false,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: (req.tools ?? []).filter((t) => t.type === 'function'),
    top_p: req.top_p ?? null,
    truncation: 'disabled',
    usage: state.usage ? responsesUsage(state.usage) : null,
    metadata: {},
  };
}

/** A whole answer's output items: reasoning, then the message, then the function calls. */
export function outputItems(r: GenerationResult): unknown[] {
  const out: unknown[] = [];
  if (r.thinking) out.push(reasoningItem(newId('rs'), r.thinking, 'completed'));
  if (r.text || r.toolCalls.length === 0) out.push(messageItem(newId('msg'), r.text, 'completed'));
  for (const tc of r.toolCalls) out.push(functionCallItem(newId('fc'), tc, 'completed'));
  return out;
}
