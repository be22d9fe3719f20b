export interface RetrievedChunk {
  /** The chunk's id in the store (a bigint, as text). */
  chunkId: string;
  documentId: string;
  title: string | null;
  seq: number;
  text: string;
  tokens: number;
  /** Cosine similarity to the question, 0..1. */
  score: number;
  vector: Float32Array;
}

/** What a client may see of a chunk used in an answer: ids and score, never the text. */
export interface Citation {
  /** The bracketed number the model cites, [1] … [k]. */
  id: number;
  document: string;
  chunk: string;
  score: number;
}

/** Chunks in relevance order until the token budget is spent; the first that does not fit ends the list. */
export function fitBudget<T extends { tokens: number }>(chunks: readonly T[], budget: number): { kept: T[]; dropped: T[] } {
  let used = 0;
  let i = 0;
  for (; i < chunks.length; i++) {
    if (used + chunks[i]!.tokens > budget) break;
    used += chunks[i]!.tokens;
  }
  return { kept: chunks.slice(0, i), dropped: chunks.slice(i) };
}

const INSTRUCTION =
  'Answer using the context passages below. Each passage starts with its citation id in brackets; ' +
  'cite the ids of the passages you use, like [1] or [2][3]. If the passages do not contain the ' +
  'answer, say so instead of guessing. Answer in the language of the question.';

/** The system message that carries the passages, each with its citation id. */
export function contextPrompt(chunks: readonly RetrievedChunk[]): { content: string; citations: Citation[] } {
  const citations: Citation[] = [];
  let content = `${INSTRUCTION}\n`;
  chunks.forEach((c, i) => {
    const id = i + 1;
    citations.push({ id, document: c.documentId, chunk: c.chunkId, score: Math.round(c.score * 10_000) / 10_000 });
    content += `\n[${id}] ${c.title ? `${c.title} — ` : ''}(document ${c.documentId}, part ${c.seq + 1})\n${c.text}\n`;
  });
  if (chunks.length === 0) content += '\n(no passage of the collection is relevant to this question)\n';
  return { content, citations };
}
