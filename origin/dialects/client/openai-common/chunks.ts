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

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
/** What follows a chat chunk's head (`…"choices":[{"index":0,`) in the frames written from bytes. */
const ROLE_CONTENT = latin1('"delta":{"role":"assistant","content":');
const CONTENT = latin1('"delta":{"content":');
const REASONING = latin1(',"reasoning":');
const REASONING_CONTENT = latin1(',"reasoning_content":');
/** After a text delta: no logprobs, no finish, and the frame's blank line. */
const CONTENT_END = latin1('},"logprobs":null,"finish_reason":null}]}\n\n');
/** The last chunk of a chat stream, `"delta":{}` and its finish reason, by reason. */
const FINISH_TAIL: Readonly<Record<FinishReason, Buffer>> = {
  stop: latin1('"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n'),
  length: latin1('"delta":{},"logprobs":null,"finish_reason":"length"}]}\n\n'),
  tool_calls: latin1('"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}\n\n'),
};

const DATA = latin1('data: ');

/**
 * Builds the JSON of streamed chunks. Everything constant within one stream (id, created, model)
 * is serialised once into a prefix, so each token costs one small JSON.stringify of its delta;
 * the chat frames of nearly every event are written straight into one buffer from it.
 */
export class ChunkWriter {
  /** Kept for the stream's life: flat, not as the tree of pieces `+` builds (shared/flat-string.ts). */
  private readonly prefix: string;
  /** The prefix's length in UTF-8, and how to write it: byte per character when it is ASCII. */
  private readonly prefixBytes: number;
  private readonly prefixEncoding: 'latin1' | 'utf8';
  /**
   * `data: ` and the prefix as bytes, made on the second token: a buffer of its own, not a slice
   * of Buffer's pool, which it would keep whole for the stream's life.
   */
  private headBytes: Uint8Array | undefined;

  constructor(
    private readonly id: string,
    private readonly object: 'chat.completion.chunk' | 'text_completion',
    private readonly created: number,
    private readonly model: string,
  ) {
    this.prefix = flatten(this.head() + ',"choices":[{"index":0,');
    this.prefixBytes = Buffer.byteLength(this.prefix, 'utf8');
    this.prefixEncoding = this.prefixBytes === this.prefix.length ? 'latin1' : 'utf8';
  }

  private head(): string {
    return `{"id":${JSON.stringify(this.id)},"object":"${this.object}","created":${this.created},"model":${JSON.stringify(this.model)},"system_fingerprint":"fp_puerta"`;
  }

  /** chat: `"delta":{…}`; completions: `"text":"…"`. */
  chat(delta: Record<string, unknown>, finish: FinishReason | null = null, logprobs: TokenLogprob[] | undefined = undefined): string {
    const lp = logprobs?.length ? JSON.stringify(openAiLogprobs(logprobs)) : 'null';
    return this.prefix + '"delta":' + JSON.stringify(delta) + ',"logprobs":' + lp + ',"finish_reason":' + (finish ? `"${finish}"` : 'null') + '}]}';
  }

  /**
   * The SSE frame of a chat chunk whose delta is only text (and reasoning): the same bytes as
   * `data: ` + chat(withReasoning({ content: text }, thinking)) + a blank line, written straight
   * into one buffer from the prefix, the JSON of the two strings and the constant end. A token
   * costs two small JSON.stringify calls of strings and no object.
   */
  contentFrame(text: string, thinking: string | undefined): Uint8Array {
    // A stream of more than one token: its head as bytes (copied faster than the string is written).
    if (this.headBytes === undefined) {
      const head = Buffer.allocUnsafeSlow(DATA.length + this.prefixBytes);
      this.writeHead(head);
      this.headBytes = head;
    }
    return this.deltaFrame(CONTENT, text, thinking);
  }

  /**
   * The first frame of a chat stream when its delta is only text (and reasoning): the same bytes
   * as `data: ` + chat(withReasoning({ role: 'assistant', content: text }, thinking)) + a blank line.
   */
  firstFrame(text: string, thinking: string | undefined): Uint8Array {
    return this.deltaFrame(ROLE_CONTENT, text, thinking);
  }

  /** The frame of a chat stream's last chunk: the same bytes as `data: ` + chat({}, finish) + a blank line. */
  finishFrame(finish: FinishReason): Uint8Array {
    const tail = FINISH_TAIL[finish];
    const out = Buffer.allocUnsafe(DATA.length + this.prefixBytes + tail.length);
    out.set(tail, this.writeHead(out));
    return out;
  }

  /** `data: ` and the prefix at the start of `out`; where they end. */
  private writeHead(out: Buffer): number {
    const head = this.headBytes;
    if (head !== undefined) {
      out.set(head, 0);
      return head.length;
    }
    out.set(DATA, 0);
    return DATA.length + out.write(this.prefix, DATA.length, this.prefixBytes, this.prefixEncoding);
  }

  private deltaFrame(lead: Buffer, text: string, thinking: string | undefined): Uint8Array {
    const t = JSON.stringify(text);
    const tn = Buffer.byteLength(t, 'utf8');
    const r = thinking ? JSON.stringify(thinking) : undefined;
    const rn = r === undefined ? 0 : Buffer.byteLength(r, 'utf8');
    const out = Buffer.allocUnsafe(DATA.length + this.prefixBytes + lead.length + tn + (r === undefined ? 0 : REASONING.length + REASONING_CONTENT.length + 2 * rn) + CONTENT_END.length);
    let at = this.writeHead(out);
    out.set(lead, at);
    at += lead.length;
    at += out.write(t, at, tn, 'utf8');
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
    return this.head() + ',"choices":[],"usage":' + JSON.stringify(u) + '}';
  }
}

/** `chatcmpl-` and 24 random hex digits (shared/random-hex.ts draws the bytes for many ids at once). */
export function newId(prefix: 'chatcmpl' | 'cmpl'): string {
  return prefix + '-' + randomHex(24);
}
