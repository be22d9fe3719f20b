import { createHash } from 'node:crypto';
import { PuertaError } from '../../shared/errors.ts';
import type { TenantContext } from '../core/env.ts';
import type { TextChunk } from './chunker.ts';
import type { RetrievalConfig } from './config.ts';
import { dropNearDuplicates } from './dedup.ts';
import type { DocumentWorkError, DocumentWorkers } from './document-workers.ts';
import type { Embedder } from './embedder.ts';
import type { DocumentFormat } from './extract.ts';
import type { IngestJob } from './jobs.ts';
import type { RetrievalMetrics } from './metrics.ts';
import type { RetrievalStore } from './store/store.ts';

export interface UploadDocument {
  id: string;
  title?: string | undefined;
  format: DocumentFormat;
  content: string;
  metadata: Record<string, unknown>;
}

interface Prepared {
  doc: UploadDocument;
  title: string | null;
  chunks: TextChunk[];
  vectors: Array<Float32Array | undefined>;
  missing: number;
  failed: boolean;
  /** Stored or reported failed. */
  settled: boolean;
  /** CPU time its extraction and chunking took in a worker, counted against the document's budget. */
  cpuMs: number;
}

/** Why one document was not stored: a code of this API and a message that names the limit, never its text. */
interface DocumentFailure {
  code: string;
  message: string;
}

export interface IngestContext {
  cfg: RetrievalConfig;
  store: RetrievalStore;
  embedder: Embedder;
  workers: DocumentWorkers;
  metrics: RetrievalMetrics | undefined;
  tenant: TenantContext;
  collection: string;
  signal: AbortSignal;
}

const ATTEMPTS = 4;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Documents of at most this many chunks are compared for near-duplicates in place: 2,016 pairs, about a millisecond. */
const DEDUP_IN_PLACE_CHUNKS = 64;

function workFailure(id: string, e: DocumentWorkError): DocumentFailure {
  switch (e.code) {
    case 'cpu_budget_exceeded':
      return { code: e.code, message: `document '${id}' needed more than ${e.limitMs} ms of CPU to extract, chunk and compare (retrieval.ingest.cpuMsPerDocument); its work was stopped` };
    case 'memory_budget_exceeded':
      return { code: e.code, message: `document '${id}' needed more than ${e.limitMb} MB of memory to extract and chunk (retrieval.ingest.workerMemoryMb); its work was stopped` };
    case 'workers_busy':
      return { code: e.code, message: `document '${id}' was not read: ${e.queue} documents already wait for the document workers (retrieval.ingest.workerQueue); upload it again later` };
    case 'extraction_failed':
      return { code: e.code, message: `reading document '${id}' failed (${e.error})` };
  }
}

/** Extraction and chunking, in a worker thread under the document's CPU and output budgets. */
async function prepare(ctx: IngestContext, doc: UploadDocument): Promise<Prepared | DocumentFailure> {
  const ing = ctx.cfg.ingest;
  const r = await ctx.workers.chunk({ content: doc.content, format: doc.format, chunk: ctx.cfg.chunk, maxChunks: ing.maxChunksPerDocument }, ing.cpuMsPerDocument, ctx.signal);
  if (!r.ok) return workFailure(doc.id, r.error);
  if (r.value.kind === 'too_many_chunks') {
    return { code: 'too_many_chunks', message: `document '${doc.id}' makes more than ${ing.maxChunksPerDocument} chunks (retrieval.ingest.maxChunksPerDocument); split it into smaller documents` };
  }
  const chunks = r.value.chunks;
  if (chunks.length === 0) return { code: 'empty_document', message: `document '${doc.id}' has no text after ${doc.format} extraction` };
  return { doc, title: doc.title ?? r.value.title ?? null, chunks, vectors: new Array(chunks.length), missing: chunks.length, failed: false, settled: false, cpuMs: r.cpuMs };
}

/** Indexes of a document's chunks whose vectors repeat an earlier chunk's; large documents are compared in a worker. */
async function nearDuplicates(ctx: IngestContext, p: Prepared): Promise<Set<number> | DocumentFailure> {
  const vectors = p.vectors as Float32Array[];
  const threshold = ctx.cfg.ingestDedupThreshold;
  if (vectors.length <= DEDUP_IN_PLACE_CHUNKS) {
    const { dropped } = dropNearDuplicates(vectors.map((vector, i) => ({ vector, i })), threshold);
    return new Set(dropped.map((d) => d.i));
  }
  const dims = vectors[0]!.length;
  const packed = new Float32Array(vectors.length * dims);
  vectors.forEach((v, i) => packed.set(v.subarray(0, dims), i * dims));
  const budget = Math.max(1, ctx.cfg.ingest.cpuMsPerDocument - p.cpuMs);
  const r = await ctx.workers.nearDuplicates(packed, dims, threshold, budget, ctx.signal);
  if (!r.ok) return workFailure(p.doc.id, r.error.code === 'cpu_budget_exceeded' ? { ...r.error, limitMs: ctx.cfg.ingest.cpuMsPerDocument } : r.error);
  return new Set(r.value);
}

/** Slot-sized batches across documents: at most batchSize chunks and batchTokens tokens each. */
function batches(docs: Prepared[], cfg: RetrievalConfig['ingest']): Array<Array<{ d: Prepared; i: number }>> {
  const out: Array<Array<{ d: Prepared; i: number }>> = [];
  let cur: Array<{ d: Prepared; i: number }> = [];
  let tokens = 0;
  for (const d of docs) {
    d.chunks.forEach((c, i) => {
      if (cur.length > 0 && (cur.length >= cfg.batchSize || tokens + c.tokens > cfg.batchTokens)) {
        out.push(cur);
        cur = [];
        tokens = 0;
      }
      cur.push({ d, i });
      tokens += c.tokens;
    });
  }
  if (cur.length) out.push(cur);
  return out;
}

function failure(err: unknown): { code: string; message: string } {
  if (err instanceof PuertaError) return { code: err.code ?? 'embedding_failed', message: `embedding failed (${err.status}, ${err.code ?? 'error'})` };
  return { code: 'store_failed', message: 'storing the document failed; the previous version, if any, is unchanged' };
}

/** Embeds one batch, retrying busy or unreachable engines with backoff (Retry-After when given). */
async function embedWithRetry(ctx: IngestContext, texts: string[]): Promise<Float32Array[]> {
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    try {
      const r = await ctx.embedder.embed(texts, { tenant: ctx.tenant, priority: 'batch', signal: ctx.signal });
      ctx.metrics?.embedBatch.observe((performance.now() - t0) / 1000);
      return r.vectors;
    } catch (err) {
      if (ctx.signal.aborted || attempt >= ATTEMPTS || !(err instanceof PuertaError) || !err.retryable) throw err;
      await sleep(err.retryAfter !== undefined ? err.retryAfter * 1000 : 250 * 2 ** attempt, ctx.signal);
    }
  }
}

async function store(ctx: IngestContext, job: IngestJob, p: Prepared): Promise<void> {
  const dups = await nearDuplicates(ctx, p);
  p.settled = true;
  if (!(dups instanceof Set)) {
    ctx.metrics?.ingestDocuments.inc({ outcome: 'failed' });
    return job.documentFailed(p.doc.id, dups.code, dups.message);
  }
  const items = p.chunks.map((c, i) => ({ ...c, vector: p.vectors[i]! }));
  const kept = items.filter((_, i) => !dups.has(i));
  const dropped = items.length - kept.length;
  const bytes = Buffer.byteLength(p.doc.content);
  try {
    const r = await ctx.store.replaceDocument(
      { tenant: ctx.tenant.id, collection: ctx.collection },
      { id: p.doc.id, title: p.title, format: p.doc.format, metadata: p.doc.metadata, bytes, contentSha256: createHash('sha256').update(p.doc.content).digest('hex') },
      kept,
      ctx.cfg.ingestDedupThreshold,
    );
    const duplicates = dropped + r.duplicatesDropped;
    ctx.metrics?.ingestChunks.inc({ outcome: 'stored' }, r.stored);
    ctx.metrics?.ingestChunks.inc({ outcome: 'duplicate' }, duplicates);
    ctx.metrics?.ingestDocuments.inc({ outcome: 'stored' });
    job.documentStored(r.stored, duplicates);
  } catch (err) {
    ctx.metrics?.ingestDocuments.inc({ outcome: 'failed' });
    const f = failure(err);
    job.documentFailed(p.doc.id, f.code, f.message);
  }
}

/**
 * One upload: extract and chunk every document (in the document workers, one at a time per
 * upload), embed the chunks in slot-sized batches in the batch class, and store each document
 * (replacing its previous version atomically) as soon as all its chunks have vectors. A document
 * that goes over a budget or whose embedding fails is reported and skipped; the others go on.
 */
export async function runIngest(ctx: IngestContext, job: IngestJob, docs: readonly UploadDocument[]): Promise<void> {
  job.running();
  const prepared: Prepared[] = [];
  let read = 0;
  try {
    for (const doc of docs) {
      const p = await prepare(ctx, doc);
      read++;
      if ('code' in p) {
        ctx.metrics?.ingestDocuments.inc({ outcome: 'failed' });
        job.documentFailed(doc.id, p.code, p.message);
      } else prepared.push(p);
    }
    for (const batch of batches(prepared, ctx.cfg.ingest)) {
      const live = batch.filter((b) => !b.d.failed);
      if (live.length === 0) continue;
      try {
        const vectors = await embedWithRetry(ctx, live.map((b) => b.d.chunks[b.i]!.text));
        live.forEach((b, k) => {
          b.d.vectors[b.i] = vectors[k];
          b.d.missing--;
        });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const f = failure(err);
        for (const d of new Set(live.map((b) => b.d))) {
          d.failed = true;
          d.settled = true;
          ctx.metrics?.ingestDocuments.inc({ outcome: 'failed' });
          job.documentFailed(d.doc.id, f.code, f.message);
        }
        continue;
      }
      for (const d of new Set(live.map((b) => b.d))) if (d.missing === 0 && !d.failed) await store(ctx, job, d);
    }
  } catch {
    // Shutdown: what was stored stays (each document is whole); the rest is reported as not done.
    const unsettled = [...prepared.filter((p) => !p.settled).map((p) => p.doc), ...docs.slice(read)];
    for (const doc of unsettled) job.documentFailed(doc.id, 'origin_shutting_down', 'the origin shut down before this document was stored; upload it again');
  } finally {
    job.finish();
  }
}
