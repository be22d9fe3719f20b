/**
 * Generation events → Anthropic's stream: message_start, then one content block at a time
 * (thinking, text, tool_use), each opened with content_block_start, filled with deltas and closed
 * with content_block_stop (Claude Code prints nothing without it), then message_delta with the
 * stop reason and usage, and message_stop.
 */
import type { GenerationEvent } from '../../../core/generation.ts';
import type { StreamWriter } from '../dialect.ts';
import { anthropicUsage, event, stopReason } from './wire.ts';

type Open = 'thinking' | 'text' | null;

/** `inputTokens`: the prompt's estimated size for message_start; message_delta carries the engine's count. */
export function anthropicWriter(id: string, model: string, inputTokens: number): StreamWriter {
  let index = -1;
  let open: Open = null;
  const frames: Uint8Array[] = [];

  const close = () => {
    if (open === null) return;
    if (open === 'thinking') frames.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: '' } }));
    frames.push(event('content_block_stop', { index }));
    open = null;
  };
  const ensure = (kind: 'thinking' | 'text') => {
    if (open === kind) return;
    close();
    index++;
    open = kind;
    const block = kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' };
    frames.push(event('content_block_start', { index, content_block: block }));
  };

  return {
    start: () => [
      event('message_start', {
        message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 0 } },
      }),
    ],
    write(ev: GenerationEvent) {
      frames.length = 0;
      if (ev.type === 'done') {
        close();
        frames.push(event('message_delta', { delta: { stop_reason: stopReason(ev.finish, ev.stopSequence), stop_sequence: ev.stopSequence ?? null }, usage: anthropicUsage(ev.usage) }));
        frames.push(event('message_stop', {}));
        return frames.slice();
      }
      if (ev.thinking) {
        ensure('thinking');
        frames.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: ev.thinking } }));
      }
      if (ev.text) {
        ensure('text');
        frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: ev.text } }));
      }
      for (const tc of ev.toolCalls ?? []) {
        close();
        index++;
        frames.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: tc.id, name: tc.name, input: {} } }));
        frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(tc.arguments) } }));
        frames.push(event('content_block_stop', { index }));
      }
      if (frames.length === 0) return undefined;
      return frames.length === 1 ? frames[0]! : frames.slice();
    },
  };
}
