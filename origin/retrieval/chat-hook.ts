import type { Context } from 'hono';
import { errors } from '../../shared/errors.ts';
import type { PriorityClass } from '../pipeline/admission.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import type { OriginEnv } from '../types.ts';
import type { Citation } from './prompt.ts';

/** Request header by which a client asks for the citations; the answer carries them in the same name. */
export const CITATIONS_HEADER = 'puerta-citations';

interface ChatMessage {
  role: string;
  content?: unknown;
}

/** Text of a message: a string, or the text parts of an OpenAI content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
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
export async function retrievalForChat(c: Context<OriginEnv>, deps: OriginDeps, model: string, messages: ChatMessage[], priority: PriorityClass): Promise<ChatRetrieval | undefined> {
  const stage = deps.retrieval;
  const settings = stage?.settingsFor(model);
  if (!stage || !settings) return undefined;
  let question = '';
  for (let i = messages.length - 1; i >= 0 && !question; i--) if (messages[i]!.role === 'user') question = textOf(messages[i]!.content).trim();
  if (!question) throw errors.badRequest(`model '${model}' answers from a document collection: the conversation needs a user message with text to search for`, 'messages', 'missing_user_message');
  const rec = c.get('record');
  rec.tenant = c.get('tenant') ?? rec.tenant;
  const out = await stage.retrieveFor(rec, model, settings, question, rec.priority ?? priority, c.req.raw.signal);
  messages.unshift({ role: 'system', content: out.context });
  return { citations: out.citations, wanted: /^(include|true|1)$/i.test(c.req.header(CITATIONS_HEADER) ?? '') };
}

/** The citations as the answer's header value: compact JSON, ASCII only (ids are ASCII by schema). */
export function citationsHeader(citations: readonly Citation[]): string {
  return JSON.stringify(citations);
}
