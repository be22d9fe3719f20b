import type { FinishReason, TokenLogprob, ToolCall, Usage } from '../../../core/generation.ts';
import { randomHex } from '../../../../shared/random-hex.ts';
import { flatten } from '../../../../shared/flat-string.ts';

export function openAiUsage(u: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens };
}

export function openAiToolCalls(calls: ToolCall[], startIndex: number) {
  return calls.map((tc, i) => ({
    index: startIndex + i,
    id: tc.id,
    type: 'function' as const,
    function: { name: tc.name, arguments: JSON.stringify(tc.arguments) },
  }));
}

/** `choices[].logprobs` in OpenAI's shape (every entry has `bytes` and `top_logprobs`). */
export function openAiLogprobs(lps: TokenLogprob[] | undefined): { content: unknown[] } | null {
  if (!lps?.length) return null;
  return {
    content: lps.map((lp) => ({
      token: lp.token,
      logprob: lp.logprob,
      bytes: lp.bytes ?? null,
      top_logprobs: (lp.top ?? []).map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes ?? null })),
    })),
  };
}

/**
 * Reasoning text under both names clients read: `reasoning` (Ollama, OpenRouter) and
 * `reasoning_content` (DeepSeek, vLLM, LiteLLM).
 */
export function withReasoning(target: Record<string, unknown>, thinking: string | undefined): void {
  if (!thinking) return;
  target.reasoning = thinking;
  target.reasoning_content = thinking;
}

const REASONING = Buffer.from(',"reasoning":', 'latin1');
const REASONING_CONTENT = Buffer.from(',"reasoning_content":', 'latin1');
/** After a text delta: no logprobs, no finish, and the frame's blank line. */
const CONTENT_END = Buffer.from('},"logprobs":null,"finish_reason":null}]}\n\n', 'latin1');

/**
 * Builds the JSON of streamed chunks. Everything constant within one stream (id, created, model)
 * is serialised once into a prefix, so each token costs one small JSON.stringify of its delta.
 */
export class ChunkWriter {
  private readonly prefix: string;
  private readonly usagePrefix: string;
  /** `data: ` and a chat chunk up to its delta's text, encoded on the first token: see contentFrame. */
  private contentHead: Uint8Array | undefined;

  constructor(id: string, object: 'chat.completion.chunk' | 'text_completion', created: number, model: string) {
    const head = `{"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_puerta"`;
    // Kept for the stream's life: flat, not as the tree of pieces `+` builds (shared/flat-string.ts).
    this.prefix = flatten(head + ',"choices":[{"index":0,');
    this.usagePrefix = flatten(head + ',"choices":[],"usage":');
  }

  /** chat: `"delta":{…}`; completions: `"text":"…"`. */
  chat(delta: Record<string, unknown>, finish: FinishReason | null = null, logprobs: TokenLogprob[] | undefined = undefined): string {
    const lp = logprobs?.length ? JSON.stringify(openAiLogprobs(logprobs)) : 'null';
    return this.prefix + '"delta":' + JSON.stringify(delta) + ',"logprobs":' + lp + ',"finish_reason":' + (finish ? `"${finish}"` : 'null') + '}]}';
  }

  /**
   * The SSE frame of a chat chunk whose delta is only text (and reasoning): the same bytes as
   * `data: ` + chat(withReasoning({ content: text }, thinking)) + a blank line, written straight
   * into one buffer from the head encoded once per stream, the JSON of the two strings and the
   * constant end. A token costs two small JSON.stringify calls of strings and no object.
   */
  contentFrame(text: string, thinking: string | undefined): Uint8Array {
    // Its own exact buffer, not a slice of Buffer's shared pool: it lives as long as the stream.
    const head = (this.contentHead ??= new TextEncoder().encode('data: ' + this.prefix + '"delta":{"content":'));
    const t = JSON.stringify(text);
    const tn = Buffer.byteLength(t, 'utf8');
    const r = thinking ? JSON.stringify(thinking) : undefined;
    const rn = r === undefined ? 0 : Buffer.byteLength(r, 'utf8');
    const out = Buffer.allocUnsafe(head.length + tn + (r === undefined ? 0 : REASONING.length + REASONING_CONTENT.length + 2 * rn) + CONTENT_END.length);
    out.set(head, 0);
    let at = head.length + out.write(t, head.length, tn, 'utf8');
    if (r !== undefined) {
      out.set(REASONING, at);
      at += REASONING.length;
      at += out.write(r, at, rn, 'utf8');
      out.set(REASONING_CONTENT, at);
      at += REASONING_CONTENT.length;
      at += out.write(r, at, rn, 'utf8');
    }
    out.set(CONTENT_END, at);
    return out;
  }

  text(text: string, finish: FinishReason | null = null): string {
    return this.prefix + '"text":' + JSON.stringify(text) + ',"logprobs":null,"finish_reason":' + (finish ? `"${finish}"` : 'null') + '}]}';
  }

  usage(u: object): string {
    return this.usagePrefix + JSON.stringify(u) + '}';
  }
}

export function newId(prefix: 'chatcmpl' | 'cmpl'): string {
  return `${prefix}-${randomHex(24)}`;
}
