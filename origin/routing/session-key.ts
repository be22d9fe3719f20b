import { hash } from 'node:crypto';
import type { Conversation } from '../core/facts.ts';

/**
 * The headers coding-agent CLIs send with every turn of one conversation: Claude Code
 * (`X-Claude-Code-Session-Id`), OpenCode (`x-session-affinity`, `x-opencode-session`), Codex CLI
 * (`session_id`, `conversation_id`). The first one present names the conversation.
 */
export const SESSION_HEADERS = ['x-session-affinity', 'x-claude-code-session-id', 'x-opencode-session', 'session_id', 'conversation_id'] as const;

/** Leading text hashed when nothing names the conversation: enough to tell conversations apart, bounded in cost. */
const LEADING_CHARS = 16_384;

/**
 * A conversation's key: a digest scoped to the tenant; the id or text it comes from is never kept.
 * One-shot `hash` (no Hash object per request); the same bytes as the parts hashed one by one.
 */
function digest(tenant: string, source: string, value: string): string {
  return hash('sha256', `${tenant}\0${source}\0${value}`, 'base64url').slice(0, 22);
}

/** The conversation named by one of SESSION_HEADERS; undefined when none is sent. */
export function sessionFromHeaders(tenant: string, header: (name: string) => string | undefined): string | undefined {
  for (const name of SESSION_HEADERS) {
    const v = header(name)?.trim();
    if (v) return digest(tenant, 'header', v);
  }
  return undefined;
}

/**
 * The conversation a request body belongs to, as its client dialect names it
 * (`BodyReader.conversation`): an id the client gave it (OpenAI's `prompt_cache_key` or `user`,
 * Anthropic's `metadata.user_id`, where Claude Code puts its session), else a digest of how the
 * conversation begins, which every later turn repeats.
 */
export function sessionFromConversation(tenant: string, conv: Conversation | undefined): string | undefined {
  if (!conv) return undefined;
  if (conv.by !== 'lead') return digest(tenant, conv.by, conv.id);
  // Each part capped on its own, so a long system prompt cannot crowd out the first message.
  return digest(tenant, 'lead', conv.parts.map((p) => (p.length > LEADING_CHARS ? p.slice(0, LEADING_CHARS) : p)).join('\0'));
}
