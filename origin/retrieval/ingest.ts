import { createHash } from 'node:crypto';
import { PuertaError } from '../../shared/errors.ts';
import type { TenantContext } from '../types.ts';
import { chunkText, type TextChunk } from './chunker.ts';
import type { RetrievalConfig } from './config.ts';
import { dropNearDuplicates } from './dedup.ts';
import type { Embedder } from './embedder.ts';
import { extractText, type DocumentFormat } from './extract.ts';
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
}

export interface IngestContext {
  cfg: RetrievalConfig;
  store: RetrievalStore;
  embedder: Embedder;
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

function prepare(doc: UploadDocument, cfg: RetrievalConfig): Prepared {
  const ex = extractText(doc.content, doc.format);
  // Identical passages inside one document (repeated footers, boilerplate) are never embedded.
  const seen = new Set<string>();
  const chunks = chunkText(ex.text, cfg.chunk).filter((c) => {
    const key = c.text.toLowerCase().replace(/\s+/g, ' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { doc, title: doc.title ?? ex.title ?? null, chunks, vectors: new Array(chunks.length), missing: chunks.length, failed: false, settled: false };
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
  p.settled = true;
  const items = p.chunks.map((c, i) => ({ ...c, vector: p.vectors[i]! }));
  const { kept, dropped } = dropNearDuplicates(items, ctx.cfg.ingestDedupThreshold);
  const bytes = Buffer.byteLength(p.doc.content);
  try {
    const r = await ctx.store.replaceDocument(
      { tenant: ctx.tenant.id, collection: ctx.collection },
      { id: p.doc.id, title: p.title, format: p.doc.format, metadata: p.doc.metadata, bytes, contentSha256: createHash('sha256').update(p.doc.content).digest('hex') },
      kept,
      ctx.cfg.ingestDedupThreshold,
    );
    const dups = dropped.length + r.duplicatesDropped;
    ctx.metrics?.ingestChunks.inc({ outcome: 'stored' }, r.stored);
    ctx.metrics?.ingestChunks.inc({ outcome: 'duplicate' }, dups);
    ctx.metrics?.ingestDocuments.inc({ outcome: 'stored' });
    job.documentStored(r.stored, dups);
  } catch (err) {
    ctx.metrics?.ingestDocuments.inc({ outcome: 'failed' });
    const f = failure(err);
    job.documentFailed(p.doc.id, f.code, f.message);
  }
}

/**
 * One upload: extract and chunk every document, embed the chunks in slot-sized batches in the
 * batch class, and store each document (replacing its previous version atomically) as soon as all
 * its chunks have vectors. A document whose embedding fails is reported and skipped; the others go on.
 */
export async function runIngest(ctx: IngestContext, job: IngestJob, docs: readonly UploadDocument[]): Promise<void> {
  job.running();
  const prepared: Prepared[] = [];
  try {
    for (const doc of docs) {
      const p = prepare(doc, ctx.cfg);
      if (p.chunks.length === 0) {
        ctx.metrics?.ingestDocuments.inc({ outcome: 'failed' });
        job.documentFailed(doc.id, 'empty_document', `document '${doc.id}' has no text after ${doc.format} extraction`);
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
    for (const p of prepared) if (!p.settled) job.documentFailed(p.doc.id, 'origin_shutting_down', 'the origin shut down before this document was stored; upload it again');
  } finally {
    job.finish();
  }
}
