/**
 * A prompt as an engine's KV cache sees it: the rendered prompt cut into blocks of tokens, each
 * block's digest chained from every token before it (as vLLM hashes its KV blocks). Two prompts
 * share their first k blocks exactly when their first k digests are equal, so a cache can find
 * the longest common prefix by comparing numbers; no text is kept.
 */

/** Tokens per block: vLLM's default block size; the runner's token-level match differs by less. */
export const BLOCK_TOKENS = 16;

export interface PromptChain {
  /** digests[i]: digest of every token up to the end of block i (the last block may be short). */
  readonly digests: Uint32Array;
  /** ends[i]: tokens up to the end of block i. */
  readonly ends: Uint32Array;
  /** Tokens in the whole prompt (what prompt_eval_count reports). */
  readonly tokens: number;
}

const tokenRe = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

/**
 * Builds a chain while counting tokens the way sim/text.ts countTokens does (one per word or
 * punctuation mark, two for a long word), so the chain's total is the prompt's token count.
 */
export class ChainBuilder {
  private h = 0x811c9dc5;
  private n = 0;
  private nextEnd = BLOCK_TOKENS;
  private readonly digests: number[] = [];
  private readonly ends: number[] = [];

  /** The text's tokens. */
  text(s: string): this {
    tokenRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = tokenRe.exec(s)) !== null) this.token(m[0], m[0].length > 10 ? 2 : 1);
    return this;
  }

  /** Template tokens (a message's role header, the generation prompt): `count` tokens named `name`. */
  marker(name: string, count: number): this {
    this.token(`\u0000${name}`, count);
    return this;
  }

  private token(t: string, weight: number): void {
    let h = this.h;
    for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
    // A separator, so "ab" "c" and "a" "bc" differ.
    this.h = Math.imul(h ^ 0x1f, 0x01000193) >>> 0;
    this.n += weight;
    if (this.n >= this.nextEnd) {
      this.digests.push(this.h);
      this.ends.push(this.n);
      this.nextEnd = this.n + BLOCK_TOKENS;
    }
  }

  finish(): PromptChain {
    if (this.n > (this.ends[this.ends.length - 1] ?? 0)) {
      // The short last block: an identical prompt matches to its very end.
      this.digests.push(this.h);
      this.ends.push(this.n);
    }
    return { digests: Uint32Array.from(this.digests), ends: Uint32Array.from(this.ends), tokens: this.n };
  }
}

/** Blocks the two chains share from the start. */
export function commonBlocks(a: PromptChain, aBlocks: number, b: PromptChain): number {
  const n = Math.min(aBlocks, b.digests.length);
  let i = 0;
  while (i < n && a.digests[i] === b.digests[i]) i++;
  return i;
}

/** Tokens covered by the first `blocks` blocks. */
export function tokensIn(chain: PromptChain, blocks: number): number {
  return blocks > 0 ? (chain.ends[blocks - 1] ?? 0) : 0;
}

/** Template tokens Ollama adds around each chat message and at the end of the prompt. */
export const perMessageTokens = 4;
export const promptOverhead = 3;

interface ChatMessage {
  role: string;
  content?: string | null;
}

/**
 * A chat prompt in the order templates render it: leading system messages, the tool
 * declarations (rendered into the system part, as gpt-oss's and most templates do), the other
 * messages, then the generation prompt.
 */
export function chatChain(messages: readonly ChatMessage[], tools: readonly unknown[] | null | undefined): PromptChain {
  const b = new ChainBuilder();
  let i = 0;
  for (; i < messages.length && messages[i]?.role === 'system'; i++) message(b, messages[i] as ChatMessage);
  if (tools?.length) b.text(JSON.stringify(tools));
  for (; i < messages.length; i++) message(b, messages[i] as ChatMessage);
  return b.marker('generation', promptOverhead).finish();
}

function message(b: ChainBuilder, m: ChatMessage): void {
  b.marker(m.role, perMessageTokens).text(m.content ?? '');
}
