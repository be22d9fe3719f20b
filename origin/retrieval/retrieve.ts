import type { PriorityClass } from '../core/admission.ts';
import type { TenantContext } from '../core/env.ts';
import type { RetrievalSettings } from './config.ts';
import { dropNearDuplicates } from './dedup.ts';
import { retrievalErrors } from './errors.ts';
import type { Embedder } from './embedder.ts';
import { contextPrompt, fitBudget, type Citation, type RetrievedChunk } from './prompt.ts';
import type { RetrievalStore } from './store/store.ts';
import { dynamicK } from './top-k.ts';

/** What one retrieval did: ids and scores only (audit, metrics, the client's citations). */
export interface RetrievalOutcome {
  collection: string;
  citations: Citation[];
  /** The system message with the passages; goes to the engine only, never to a log. */
  context: string;
  /** Chunks read from the index (the fixed-k baseline). */
  candidates: number;
  tokensUsed: number;
  /** Prompt tokens not sent compared with sending every candidate, by what removed them. */
  saved: { dedup: number; topK: number; budget: number };
  ms: { queue: number; embed: number; search: number; retrieval: number; promptBuild: number };
}

const sumTokens = (cs: readonly { tokens: number }[]) => cs.reduce((n, c) => n + c.tokens, 0);

/**
 * Embed the question, read the nearest `candidates` chunks of the tenant's collection, drop
 * near-duplicates, keep the dynamic top-k, fit the token budget, and build the context message.
 */
export async function retrieve(
  store: RetrievalStore,
  embedder: Embedder,
  s: RetrievalSettings,
  q: { tenant: TenantContext; question: string; priority: PriorityClass; signal: AbortSignal; alias: string },
): Promise<RetrievalOutcome> {
  const t0 = performance.now();
  const emb = await embedder.embed([q.question], { tenant: q.tenant, priority: q.priority, signal: q.signal });
  const t1 = performance.now();
  const found = await store.search({ tenant: q.tenant.id, collection: s.collection }, emb.vectors[0]!, s.candidates);
  if (!found) {
    throw retrievalErrors.collectionNotFound(s.collection, `: model '${q.alias}' answers from it; upload documents first (POST /v1/collections/${s.collection}/documents)`);
  }
  const t2 = performance.now();
  const { kept: distinct, dropped: dups } = dropNearDuplicates(found, s.dedupThreshold);
  const k = dynamicK(distinct.map((c) => c.score), s.topK);
  const top = distinct.slice(0, k);
  const { kept, dropped: over } = fitBudget<RetrievedChunk>(top, s.budgetTokens);
  const { content, citations } = contextPrompt(kept);
  const t3 = performance.now();
  return {
    collection: s.collection,
    citations,
    context: content,
    candidates: found.length,
    tokensUsed: sumTokens(kept),
    saved: { dedup: sumTokens(dups), topK: sumTokens(distinct.slice(k)), budget: sumTokens(over) },
    ms: { queue: emb.queueMs, embed: emb.embedMs, search: t2 - t1, retrieval: t2 - t0, promptBuild: t3 - t2 },
  };
}
