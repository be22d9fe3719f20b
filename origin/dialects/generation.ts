/**
 * The one internal representation of a generation. Client dialects (origin/dialects/client/*)
 * translate their request into a Generation and the upstream's events back into their wire;
 * upstream dialects (origin/dialects/upstream/*) translate a Generation into the engine's request
 * and the engine's answer into GenerationEvents. Neither side knows the other.
 */

import type { EngineTimings } from '../upstream/engine-timings.ts';

export interface ToolCall {
  /** Stable within the answer; clients send it back with the tool's result. */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface Message {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  /** base64 image data (no data: prefix). */
  images?: string[];
  /** Reasoning of an earlier assistant turn, sent back by the client. */
  thinking?: string;
  toolCalls?: Array<Omit<ToolCall, 'id'> & { id?: string | undefined }>;
  /** On a tool result: the call it answers and the function's name. */
  toolCallId?: string;
  toolName?: string;
}

export interface Tool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** `auto` and `required` as OpenAI means them; `none` sends no tools; a name forces that function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** false: no reasoning; true: the model's default; a level: that effort. */
export type Reasoning = boolean | 'low' | 'medium' | 'high';

export interface Sampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
}

/** A generated token's log probability (natural log), with the likeliest alternatives when asked for. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token (a token may be part of a character). */
  bytes?: number[];
  top?: Array<{ token: string; logprob: number; bytes?: number[] }>;
}

export type Input = { kind: 'chat'; messages: Message[] } | { kind: 'prompt'; prompt: string; suffix?: string };

export interface Generation {
  /** The model as the client named it (routing maps it to the upstream's name). */
  model: string;
  stream: boolean;
  input: Input;
  tools?: Tool[];
  toolChoice?: ToolChoice;
  reasoning?: Reasoning;
  sampling: Sampling;
  /** Structured output: any JSON, or JSON matching a schema. */
  format?: 'json' | { schema: Record<string, unknown> };
  /** Log probabilities per token, with `top` alternatives each (0–20). */
  logprobs?: { top: number };
  /**
   * Stop sequences the origin matches in the answer itself rather than the engine (which would
   * strip the match and end as if on its own): the answer then says which one ended it
   * (origin/dialects/stop-sequences.ts). `sampling.stop` is the engine's.
   */
  stopSequences?: string[];
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** The engine's own timings of the request, where its final frame gives them. */
  engine?: EngineTimings | undefined;
}

/**
 * What an upstream's stream says, chunk by chunk. A `delta` is one engine chunk (any of its
 * fields may be empty); `done` comes exactly once, last, with the engine's own token counts.
 */
export type GenerationEvent =
  | { type: 'delta'; text: string; thinking?: string | undefined; toolCalls?: ToolCall[] | undefined; logprobs?: TokenLogprob[] | undefined }
  | { type: 'done'; finish: FinishReason; usage: Usage; stopSequence?: string | undefined };

/** A whole (non-streamed) answer. */
export interface GenerationResult {
  text: string;
  thinking?: string | undefined;
  toolCalls: ToolCall[];
  finish: FinishReason;
  usage: Usage;
  logprobs?: TokenLogprob[] | undefined;
  /** The stop sequence that ended the answer, when the origin matched one (Generation.stopSequences). */
  stopSequence?: string | undefined;
}

/** What both sides of a translation may need to know about the request being served. */
export interface GenerationContext {
  requestId: string;
}

export function finishReason(lengthCut: boolean, sawToolCalls: boolean): FinishReason {
  if (sawToolCalls) return 'tool_calls';
  return lengthCut ? 'length' : 'stop';
}
