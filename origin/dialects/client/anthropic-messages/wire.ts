/** Anthropic's response objects and stream events. */
import { encodeEvent } from '../../../../shared/sse.ts';
import type { FinishReason, GenerationResult, Usage } from '../../../core/generation.ts';

export function messageId(): string {
  return `msg_${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

export function stopReason(finish: FinishReason, stopSequence?: string): 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence' {
  if (stopSequence !== undefined) return 'stop_sequence';
  return finish === 'tool_calls' ? 'tool_use' : finish === 'length' ? 'max_tokens' : 'end_turn';
}

export function anthropicUsage(u: Usage) {
  return { input_tokens: u.promptTokens, output_tokens: u.completionTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

/** The whole message: thinking first, then text, then the tool calls, as Claude answers. */
export function messageObject(id: string, model: string, r: GenerationResult) {
  const content: Array<Record<string, unknown>> = [];
  if (r.thinking) content.push({ type: 'thinking', thinking: r.thinking, signature: '' });
  if (r.text) content.push({ type: 'text', text: r.text });
  for (const tc of r.toolCalls) content.push({ type: 'tool_use', id: tc.id, name: tc.name, input: tc.arguments });
  return { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason(r.finish, r.stopSequence), stop_sequence: r.stopSequence ?? null, usage: anthropicUsage(r.usage) };
}

/** `event: <type>` with the event object as data, as Anthropic streams every event. */
export function event(type: string, body: Record<string, unknown>): Uint8Array {
  return encodeEvent(type, JSON.stringify({ type, ...body }));
}
