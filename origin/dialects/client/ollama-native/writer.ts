/**
 * Generation events → Ollama's NDJSON (/api/chat, /api/generate), for answers from an engine that
 * does not speak Ollama's wire: one line per engine chunk, then the final `done:true` object with
 * the engine's token counts. Durations are Ollama's own timings, which another engine does not
 * report, so they are left out (the official clients treat them as optional).
 */
import type { GenerationEvent, GenerationResult, ToolCall } from '../../../core/generation.ts';
import type { QueueStanding } from '../../../core/admission.ts';
import type { StreamWriter } from '../dialect.ts';

const encoder = new TextEncoder();

function toolCalls(calls: readonly ToolCall[]): Array<{ function: { name: string; arguments: Record<string, unknown> } }> {
  return calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
}

/** Ollama's done_reason: a turn that called tools ended on its own ("stop"). */
function doneReason(finish: GenerationResult['finish']): 'stop' | 'length' {
  return finish === 'length' ? 'length' : 'stop';
}

function line(obj: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(obj) + '\n');
}

function content(chat: boolean, text: string, thinking: string | undefined, calls: readonly ToolCall[] | undefined): Record<string, unknown> {
  if (!chat) return { response: text, ...(thinking ? { thinking } : {}) };
  const message: Record<string, unknown> = { role: 'assistant', content: text };
  if (thinking) message.thinking = thinking;
  if (calls?.length) message.tool_calls = toolCalls(calls);
  return { message };
}

/** The final object, whole or at the end of a stream. */
function final(model: string, chat: boolean, r: Pick<GenerationResult, 'text' | 'thinking' | 'toolCalls' | 'finish' | 'usage'>): Record<string, unknown> {
  return {
    model,
    created_at: new Date().toISOString(),
    ...content(chat, r.text, r.thinking, r.toolCalls),
    done: true,
    done_reason: doneReason(r.finish),
    prompt_eval_count: r.usage.promptTokens,
    eval_count: r.usage.completionTokens,
  };
}

export function nativeWriter(model: string, chat: boolean): StreamWriter {
  return {
    start: () => [],
    write(ev: GenerationEvent) {
      if (ev.type === 'done') return line(final(model, chat, { text: '', toolCalls: [], finish: ev.finish, usage: ev.usage }));
      return line({ model, created_at: new Date().toISOString(), ...content(chat, ev.text, ev.thinking, ev.toolCalls), done: false });
    },
  };
}

/**
 * The keepalive of a request still waiting for a slot: NDJSON has no comments, so it is a chunk
 * with no text (`done:false`, which the official clients pass on as an empty part) and a `queue`
 * field of ours.
 */
export function nativeQueuedLine(model: string, chat: boolean, s: QueueStanding): Uint8Array {
  return line({ model, created_at: new Date().toISOString(), ...content(chat, '', undefined, undefined), done: false, queue: { position: s.position, estimated_wait_ms: s.estimatedWaitMs } });
}

export function nativeResponse(model: string, chat: boolean, r: GenerationResult): Record<string, unknown> {
  return final(model, chat, r);
}
