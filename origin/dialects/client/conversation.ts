/**
 * What names a conversation (`BodyReader.conversation`), built from a dialect's own fields: each
 * dialect says which of its fields are the client's id for it, its system text and its turns.
 */
import type { Conversation } from '../../core/facts.ts';

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** The first id the client gave the conversation: a cache key (OpenAI's `prompt_cache_key`), else a user's. */
export function clientId(cacheKey: unknown, user: unknown): Conversation | undefined {
  if (typeof cacheKey === 'string' && cacheKey) return { by: 'cache_key', id: cacheKey };
  if (typeof user === 'string' && user) return { by: 'user', id: user };
  return undefined;
}

/**
 * A chat's lead: its system text, the system turns that open it, and its first other turn (each
 * later turn repeats them); undefined when it has no such turn.
 */
export function chatLead(system: unknown, turns: readonly unknown[]): Conversation | undefined {
  const parts = [text(system)];
  let i = 0;
  while (i < turns.length && (turns[i] as { role?: unknown } | null)?.role === 'system') parts.push(text((turns[i++] as { content?: unknown }).content));
  if (i >= turns.length) return undefined;
  parts.push(text(turns[i]));
  return { by: 'lead', parts };
}

/** A bare prompt's lead: its system text and the prompt; undefined for no prompt. */
export function promptLead(system: unknown, prompt: unknown): Conversation | undefined {
  return typeof prompt === 'string' && prompt ? { by: 'lead', parts: [text(system), prompt] } : undefined;
}
