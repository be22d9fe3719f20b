/**
 * The prompt's size in tokens before the engine has counted it: for clients that are told a
 * count up front (Anthropic's `message_start`) and budget their context from it. About four
 * bytes of UTF-8 text per token, plus a few tokens of chat template per turn; the engine's own
 * count replaces it as soon as there is one (the final usage).
 */
import type { Generation } from '../core/generation.ts';

const BYTES_PER_TOKEN = 4;
/** Role markers and separators a chat template adds around each turn. */
const TOKENS_PER_TURN = 4;
const enc = new TextEncoder();

const tokensOf = (text: string): number => Math.ceil(enc.encode(text).byteLength / BYTES_PER_TOKEN);

export function estimatePromptTokens(gen: Generation): number {
  let n = 0;
  if (gen.input.kind === 'prompt') {
    n += tokensOf(gen.input.prompt) + tokensOf(gen.input.suffix ?? '');
  } else {
    for (const m of gen.input.messages) {
      n += TOKENS_PER_TURN + tokensOf(m.text) + tokensOf(m.thinking ?? '');
      for (const tc of m.toolCalls ?? []) n += tokensOf(tc.name) + tokensOf(JSON.stringify(tc.arguments));
    }
  }
  // Tool declarations reach the engine as text in its template.
  if (gen.tools?.length) n += tokensOf(JSON.stringify(gen.tools));
  return Math.max(1, n);
}
