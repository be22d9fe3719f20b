/**
 * Token counting for chunking and the prompt budget. The engine's own tokenizer is not available
 * to the origin, so a token here is a word, a number or one punctuation mark: a model's BPE
 * tokenizer gives about 1.2–1.5 of its tokens per word of Spanish or English prose, so budgets in
 * these units are conservative by that factor (docs/retrieval.md).
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

export interface TokenSpan {
  start: number;
  end: number;
}

export function tokenSpans(text: string): TokenSpan[] {
  const out: TokenSpan[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

export function countTokens(text: string): number {
  let n = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.exec(text)) n++;
  return n;
}
