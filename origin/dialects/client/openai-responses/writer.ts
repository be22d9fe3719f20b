/**
 * Generation events → the Responses stream: response.created and response.in_progress, then one
 * output item at a time (reasoning, message, function calls), each added, filled with deltas and
 * finished with its `.done` events and response.output_item.done (Codex prints nothing without
 * it), then response.completed with usage (Codex fails without it). A failure after the first
 * byte ends the same response: response.failed and error, numbered on.
 */
import { responsesFailureFrames } from '../../../../shared/dialects/responses.ts';
import { encodeEvent } from '../../../../shared/sse.ts';
import type { GenerationEvent } from '../../../core/generation.ts';
import type { StreamWriter } from '../dialect.ts';
import type { ResponsesRequest } from './schema.ts';
import { functionCallItem, messageItem, newId, outputText, reasoningItem, responseObject } from './wire.ts';

type Open = { kind: 'reasoning' | 'message'; id: string; index: number; text: string } | null;

export function responsesWriter(req: ResponsesRequest, id: string): StreamWriter {
  let started = false;
  const createdAt = Math.floor(Date.now() / 1000);
  let seq = 0;
  let open: Open = null;
  const output: unknown[] = [];
  const frames: Uint8Array[] = [];
  const emit = (type: string, body: Record<string, unknown>) => frames.push(encodeEvent(type, JSON.stringify({ type, sequence_number: seq++, ...body })));

  const close = () => {
    if (!open) return;
    const { id: itemId, index, text } = open;
    const at = { item_id: itemId, output_index: index, content_index: 0 };
    let item: unknown;
    if (open.kind === 'reasoning') {
      emit('response.reasoning_text.done', { ...at, text });
      emit('response.content_part.done', { ...at, part: { type: 'reasoning_text', text } });
      item = reasoningItem(itemId, text, 'completed');
    } else {
      emit('response.output_text.done', { ...at, text, logprobs: [] });
      emit('response.content_part.done', { ...at, part: outputText(text) });
      item = messageItem(itemId, text, 'completed');
    }
    output[index] = item;
    emit('response.output_item.done', { output_index: index, item });
    open = null;
  };
  const ensure = (kind: 'reasoning' | 'message') => {
    if (open?.kind === kind) return open;
    close();
    const itemId = newId(kind === 'reasoning' ? 'rs' : 'msg');
    const index = output.length;
    output.push(null);
    open = { kind, id: itemId, index, text: '' };
    const at = { item_id: itemId, output_index: index, content_index: 0 };
    if (kind === 'reasoning') {
      emit('response.output_item.added', { output_index: index, item: reasoningItem(itemId, '', 'in_progress') });
      emit('response.content_part.added', { ...at, part: { type: 'reasoning_text', text: '' } });
    } else {
      emit('response.output_item.added', { output_index: index, item: messageItem(itemId, null, 'in_progress') });
      emit('response.content_part.added', { ...at, part: outputText('') });
    }
    return open;
  };

  return {
    start() {
      started = true;
      emit('response.created', { response: responseObject(id, createdAt, req, { status: 'in_progress', output: [], usage: null }) });
      emit('response.in_progress', { response: responseObject(id, createdAt, req, { status: 'in_progress', output: [], usage: null }) });
      return frames.splice(0);
    },
    write(ev: GenerationEvent) {
      if (ev.type === 'done') {
        // An answer of only tool calls, or of nothing, still has its (possibly empty) message first.
        if (output.length === 0) ensure('message');
        close();
        const status = ev.finish === 'length' ? 'incomplete' : 'completed';
        emit(`response.${status}`, { response: responseObject(id, createdAt, req, { status, output, usage: ev.usage }) });
        return frames.splice(0);
      }
      if (ev.thinking) {
        const o = ensure('reasoning');
        o.text += ev.thinking;
        emit('response.reasoning_text.delta', { item_id: o.id, output_index: o.index, content_index: 0, delta: ev.thinking });
      }
      if (ev.text) {
        const o = ensure('message');
        o.text += ev.text;
        emit('response.output_text.delta', { item_id: o.id, output_index: o.index, content_index: 0, delta: ev.text, logprobs: [] });
      }
      for (const tc of ev.toolCalls ?? []) {
        close();
        const itemId = newId('fc');
        const index = output.length;
        const args = JSON.stringify(tc.arguments);
        emit('response.output_item.added', { output_index: index, item: functionCallItem(itemId, tc, 'in_progress', '') });
        emit('response.function_call_arguments.delta', { item_id: itemId, output_index: index, delta: args });
        emit('response.function_call_arguments.done', { item_id: itemId, output_index: index, name: tc.name, arguments: args });
        const item = functionCallItem(itemId, tc, 'completed', args);
        output.push(item);
        emit('response.output_item.done', { output_index: index, item });
      }
      if (frames.length === 0) return undefined;
      return frames.splice(0);
    },
    error(err, requestId) {
      // The item being written when it failed is in the output, cut off: incomplete.
      const now = output.map((item, i) => {
        if (item !== null || open === null || open.index !== i) return item;
        return open.kind === 'reasoning' ? reasoningItem(open.id, open.text, 'incomplete') : messageItem(open.id, open.text, 'incomplete');
      });
      const response = responseObject(id, createdAt, req, { status: 'in_progress', output: now, usage: null });
      return responsesFailureFrames(err, requestId, { id, seq, created: started, response });
    },
  };
}
