import type { Context } from 'hono';
import { errors } from '../../shared/errors.ts';
import type { PriorityClass } from '../core/admission.ts';
import type { RetrievalStage } from './stage.ts';
import type { OriginEnv } from '../core/env.ts';
import type { Citation } from './prompt.ts';

/** Request header by which a client asks for the citations; the answer carries them in the same name. */
export const CITATIONS_HEADER = 'puerta-citations';

/** A chat turn as a client wire has it (`content`) or as the origin's Generation has it (`text`). */
interface ChatMessage {
  role: string;
  content?: unknown;
  text?: string;
}

/** Text of a message: a string, or the text parts of an OpenAI content array. */
function textOf(m: ChatMessage): string {
  if (typeof m.text === 'string') return m.text;
  const content = m.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

/** What a chat route needs for retrieval: the stage, absent when retrieval is off. */
export interface ChatRetrievalDeps {
  retrieval?: Pick<RetrievalStage, 'settingsFor' | 'retrieveFor'> | undefined;
}

export interface ChatRetrieval {
  citations: Citation[];
  /** Whether the client asked for the citations (the `Puerta-Citations: include` header). */
  wanted: boolean;
}

/**
 * For a chat request to a retrieval alias: retrieval on the last user turn, then the passages as
 * a system message ahead of the conversation (the alias's own system prompt still goes first).
 * Undefined for any other model: the request is untouched.
 */
export async function retrievalForChat<M extends ChatMessage>(
  c: Context<OriginEnv>,
  deps: ChatRetrievalDeps,
  model: string,
  messages: M[],
  priority: PriorityClass,
  asSystem: (context: string) => M = (context) => ({ role: 'system', content: context }) as M,
): Promise<ChatRetrieval | undefined> {
  const stage = deps.retrieval;
  const settings = stage?.settingsFor(model);
  if (!stage || !settings) return undefined;
  let question = '';
  for (let i = messages.length - 1; i >= 0 && !question; i--) if (messages[i]!.role === 'user') question = textOf(messages[i]!).trim();
  if (!question) throw errors.badRequest(`model '${model}' answers from a document collection: the conversation needs a user message with text to search for`, 'messages', 'missing_user_message');
  const rec = c.get('record');
  const out = await stage.retrieveFor(rec, model, settings, question, rec.priority ?? priority, c.req.raw.signal);
  messages.unshift(asSystem(out.context));
  return { citations: out.citations, wanted: /^(include|true|1)$/i.test(c.req.header(CITATIONS_HEADER) ?? '') };
}

/** The citations as the answer's header value: compact JSON, ASCII only (ids are ASCII by schema). */
export function citationsHeader(citations: readonly Citation[]): string {
  return JSON.stringify(citations);
}
