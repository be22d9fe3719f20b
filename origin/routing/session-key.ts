import { hash } from 'node:crypto';

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

type Body = Record<string, unknown>;

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/**
 * The conversation a request body belongs to: the client's `prompt_cache_key` (OpenAI, Codex,
 * OpenCode), its `user` (OpenAI) or `metadata.user_id` (Anthropic; Claude Code puts its session
 * in it), else a digest of how the conversation begins (system prompt or instructions and its
 * first message, or the head of a bare prompt), which every later turn repeats.
 */
export function sessionFromBody(tenant: string, body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Body;
  if (typeof b.prompt_cache_key === 'string' && b.prompt_cache_key) return digest(tenant, 'cache_key', b.prompt_cache_key);
  const meta = b.metadata as Body | undefined;
  if (meta && typeof meta.user_id === 'string' && meta.user_id) return digest(tenant, 'user', meta.user_id);
  if (typeof b.user === 'string' && b.user) return digest(tenant, 'user', b.user);
  const turns = Array.isArray(b.messages) ? b.messages : Array.isArray(b.input) ? b.input : undefined;
  // Each part capped on its own, so a long system prompt cannot crowd out the first message.
  const parts = [text(b.system), text(b.instructions)];
  if (turns) {
    // The system message(s) and the first message after them.
    let i = 0;
    while (i < turns.length && (turns[i] as Body | null)?.role === 'system') parts.push(text((turns[i++] as Body).content));
    if (i >= turns.length) return undefined;
    parts.push(text(turns[i]));
  } else {
    const prompt = typeof b.prompt === 'string' ? b.prompt : typeof b.input === 'string' ? b.input : undefined;
    if (!prompt) return undefined;
    parts.push(prompt);
  }
  return digest(tenant, 'lead', parts.map((p) => (p.length > LEADING_CHARS ? p.slice(0, LEADING_CHARS) : p)).join('\0'));
}
