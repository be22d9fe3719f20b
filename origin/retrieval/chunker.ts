import { tokenSpans } from './tokens.ts';

export interface ChunkSettings {
  /** Tokens per chunk. */
  tokens: number;
  /** Tokens repeated from the end of one chunk at the start of the next. */
  overlap: number;
}

export interface TextChunk {
  /** Position in the document, from 0. */
  seq: number;
  text: string;
  tokens: number;
}

const SENTENCE_END = new Set(['.', '!', '?', '…', ';']);

/**
 * Splits a document into windows of `tokens` tokens that overlap by `overlap`, so a sentence cut
 * at one window's edge is whole in the next. A window ends early at a sentence end or a blank
 * line found in its last 40 %, so chunks tend to hold whole sentences.
 */
export function chunkText(text: string, s: ChunkSettings): TextChunk[] {
  return [...chunks(text, s)];
}

/** chunkText one chunk at a time, so a caller with an output budget can stop early. */
export function* chunks(text: string, s: ChunkSettings): Generator<TextChunk> {
  const spans = tokenSpans(text);
  const n = spans.length;
  let seq = 0;
  let i = 0;
  while (i < n) {
    let end = Math.min(i + s.tokens, n);
    if (end < n) {
      const earliest = i + Math.max(1, Math.ceil(s.tokens * 0.6), s.overlap + 1);
      for (let k = end - 1; k >= earliest; k--) {
        const tok = text.slice(spans[k]!.start, spans[k]!.end);
        const breakAfter = SENTENCE_END.has(tok) || text.slice(spans[k]!.end, spans[k + 1]!.start).includes('\n\n');
        if (breakAfter) {
          end = k + 1;
          break;
        }
      }
    }
    yield { seq: seq++, text: text.slice(spans[i]!.start, spans[end - 1]!.end), tokens: end - i };
    if (end === n) break;
    i = Math.max(i + 1, end - s.overlap);
  }
}
