/** Gemini's response objects (GenerateContentResponse), whole and as stream chunks. */
import { encodeData } from '../../../../shared/sse.ts';
import type { FinishReason, ToolCall, Usage } from '../../../core/generation.ts';

type Part = Record<string, unknown>;

/** A stop sequence ends the answer as STOP, as Gemini reports it; a call, too (Gemini has no reason of its own for one). */
export function finishReason(finish: FinishReason, stopSequence?: string): 'STOP' | 'MAX_TOKENS' {
  return finish === 'length' && stopSequence === undefined ? 'MAX_TOKENS' : 'STOP';
}

export function usageMetadata(u: Usage) {
  return { promptTokenCount: u.promptTokens, candidatesTokenCount: u.completionTokens, totalTokenCount: u.promptTokens + u.completionTokens };
}

/** Thought parts first (only when the client asked for them: `includeThoughts`), then text, then the calls. */
export function parts(text: string, thinking: string | undefined, toolCalls: readonly ToolCall[] | undefined, includeThoughts: boolean): Part[] {
  const out: Part[] = [];
  if (thinking && includeThoughts) out.push({ text: thinking, thought: true });
  if (text) out.push({ text });
  for (const tc of toolCalls ?? []) out.push({ functionCall: { id: tc.id, name: tc.name, args: tc.arguments } });
  return out;
}

export interface ResponseIds {
  /** The model as the client named it in the path. */
  modelVersion: string;
  responseId: string;
}

/**
 * One GenerateContentResponse: one candidate. An answer with no parts still carries one empty
 * text part, as Gemini's own last chunks do (clients read `content.parts` unguarded).
 */
export function response(ids: ResponseIds, p: Part[], end?: { finish: FinishReason; stopSequence?: string | undefined; usage: Usage }) {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts: p.length ? p : [{ text: '' }] } };
  if (end) candidate.finishReason = finishReason(end.finish, end.stopSequence);
  candidate.index = 0;
  return { candidates: [candidate], ...(end ? { usageMetadata: usageMetadata(end.usage) } : {}), ...ids };
}

/** A stream chunk: `data: <response>` alone, the only form Google's SDKs read (an `event:` line makes them skip it). */
export function chunk(body: unknown): Uint8Array {
  return encodeData(JSON.stringify(body));
}
