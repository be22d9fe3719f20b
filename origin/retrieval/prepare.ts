import { chunks, type ChunkSettings, type TextChunk } from './chunker.ts';
import { extractText, type DocumentFormat } from './extract.ts';

export interface ChunkJob {
  content: string;
  format: DocumentFormat;
  chunk: ChunkSettings;
  /** Output budget: distinct chunks one document may make. */
  maxChunks: number;
}

export type ChunkOutcome =
  | { kind: 'chunks'; title: string | undefined; chunks: TextChunk[] }
  /** Stopped at the first chunk past the budget: the document makes more than `maxChunks`. */
  | { kind: 'too_many_chunks' };

/**
 * Extraction and chunking of one document, in a worker thread (document-worker.ts). Identical
 * passages inside one document (repeated footers, boilerplate) are kept once; the budget counts
 * what would be embedded, so a page of one repeated sentence is not refused for its length.
 */
export function chunkDocument(job: ChunkJob): ChunkOutcome {
  const ex = extractText(job.content, job.format);
  const seen = new Set<string>();
  const out: TextChunk[] = [];
  for (const c of chunks(ex.text, job.chunk)) {
    const key = c.text.toLowerCase().replace(/\s+/g, ' ');
    if (seen.has(key)) continue;
    seen.add(key);
    if (out.length === job.maxChunks) return { kind: 'too_many_chunks' };
    out.push(c);
  }
  return { kind: 'chunks', title: ex.title, chunks: out };
}
