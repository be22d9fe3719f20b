import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RequestObserver, RequestRecord } from '../core/record.ts';

const RETRIEVAL_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The retrieval stage's own series, in the origin's registry. */
export function createRetrievalMetrics(registry: Registry) {
  const registers = [registry];
  return {
    latency: new Histogram({ name: 'puerta_retrieval_seconds', help: 'Retrieval before a chat answer: embedding the question (with its slot wait) and the vector search', labelNames: ['collection'], buckets: RETRIEVAL_BUCKETS, registers }),
    search: new Histogram({ name: 'puerta_retrieval_search_seconds', help: 'The vector search alone (HNSW, cosine)', labelNames: ['collection'], buckets: RETRIEVAL_BUCKETS, registers }),
    chunksUsed: new Histogram({ name: 'puerta_retrieval_chunks_used', help: 'Chunks placed in the prompt per request (the dynamic top-k after dedup and the budget)', labelNames: ['collection'], buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20], registers }),
    promptTokens: new Counter({ name: 'puerta_retrieval_prompt_tokens_total', help: 'Context tokens placed in prompts', labelNames: ['collection'], registers }),
    tokensSaved: new Counter({ name: 'puerta_retrieval_prompt_tokens_saved_total', help: 'Context tokens not sent compared with every candidate chunk (a fixed top-k), by what removed them', labelNames: ['collection', 'reason'], registers }),
    ingestDocuments: new Counter({ name: 'puerta_retrieval_ingest_documents_total', help: 'Uploaded documents by outcome', labelNames: ['outcome'], registers }),
    ingestChunks: new Counter({ name: 'puerta_retrieval_ingest_chunks_total', help: 'Chunks of uploaded documents: stored, or dropped as near-duplicates', labelNames: ['outcome'], registers }),
    embedBatch: new Histogram({ name: 'puerta_retrieval_embed_batch_seconds', help: 'One ingestion embedding batch (one admission slot), slot wait included', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers }),
    jobsRunning: new Gauge({ name: 'puerta_retrieval_ingest_jobs_running', help: 'Ingestion jobs in progress on this replica', registers }),
  };
}
export type RetrievalMetrics = ReturnType<typeof createRetrievalMetrics>;

/** Reads a finished request's retrieval summary (ids and numbers only) into the metrics. */
export class RetrievalObserver implements RequestObserver {
  constructor(private readonly m: RetrievalMetrics) {}

  onEnd(rec: RequestRecord): void {
    const r = rec.retrieval;
    if (!r) return;
    const collection = r.collection;
    this.m.latency.observe({ collection }, r.retrievalMs / 1000);
    this.m.search.observe({ collection }, r.searchMs / 1000);
    this.m.chunksUsed.observe({ collection }, r.citations.length);
    this.m.promptTokens.inc({ collection }, r.tokensUsed);
    for (const [reason, n] of Object.entries(r.tokensSaved)) if (n > 0) this.m.tokensSaved.inc({ collection, reason }, n);
  }
}
