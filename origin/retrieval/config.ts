import { z } from 'zod';
import { envBool } from '../audit/config.ts';

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'region names are lower-case letters, digits and - (cr-sjo-1)');
const int = (min: number, max: number, def: number) => z.coerce.number().int().min(min).max(max).default(def);
const score = (def: number) => z.coerce.number().min(0).max(1).default(def);

/**
 * How many chunks a question keeps: the best `min` always (when they clear the floor), then more
 * up to `max` while each stays above `floor` and within `gap` of the one before it. A clear drop in
 * relevance ends the list early, so a sharp question gets few chunks and a broad one more.
 */
export const topKSchema = z
  .object({
    min: int(1, 100, 4),
    max: int(1, 100, 8),
    /** Cosine similarity below which a chunk is never used. */
    floor: score(0.2),
    /** A score this much below the previous kept one ends the list (past `min`). */
    gap: score(0.12),
  })
  .refine((k) => k.min <= k.max, { message: 'topK.min must not exceed topK.max', path: ['min'] });
export type TopKSettings = z.infer<typeof topKSchema>;

/** What an alias adds to its persona to become a retrieval assistant (routing.aliases.<name>.retrieval). */
export const aliasRetrievalSchema = z
  .object({
    /** Collection name, looked up among the calling tenant's own collections. */
    collection: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, . _ - (at most 64)'),
    topK: topKSchema.optional(),
    /** Cosine similarity at or above which two retrieved chunks count as the same (one is dropped). */
    dedupThreshold: z.coerce.number().min(0).max(1).optional(),
    /** Tokens of retrieved context the prompt may carry. */
    budgetTokens: z.coerce.number().int().min(50).max(100_000).optional(),
    /** Candidates read from the index before the dynamic cut (at least topK.max). */
    candidates: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();
export type AliasRetrieval = z.infer<typeof aliasRetrievalSchema>;

/** The retrieval stage (origin/retrieval/): store, chunking, dedup and the defaults aliases inherit. */
export const retrievalConfigSchema = z
  .object({
    /** Off: no store, no /v1/collections routes, aliases with `retrieval` are refused at start. */
    enabled: envBool(false),
    /**
     * The user's Postgres with pgvector (postgres://…). Unset: the embedded PGlite (Postgres in
     * wasm, with pgvector) served over the wire protocol on loopback, for `npm start` and tests.
     */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL').optional(),
    /** Where that database keeps the documents and vectors; required with databaseUrl. */
    databaseRegion: regionName.optional(),
    /** Connections to the database. */
    poolSize: int(1, 100, 8),
    embedded: z
      .object({
        /** Directory of the embedded database; unset keeps it in memory (gone at exit). */
        dataDir: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Embedding model served by an upstream (Ollama /api/embed). */
    embedModel: z.string().min(1).default('nomic-embed-text'),
    chunk: z
      .object({
        tokens: int(20, 4_000, 200),
        overlap: int(0, 2_000, 40),
      })
      .refine((c) => c.overlap < c.tokens, { message: 'chunk.overlap must be smaller than chunk.tokens', path: ['overlap'] })
      .prefault({}),
    /** Cosine similarity at or above which a new chunk is a near-duplicate of one already stored. */
    ingestDedupThreshold: score(0.95),
    /** Defaults for aliases that do not set their own. */
    topK: topKSchema.prefault({}),
    dedupThreshold: score(0.92),
    budgetTokens: int(50, 100_000, 1_500),
    candidates: int(1, 200, 20),
    /** HNSW search breadth (hnsw.ef_search): higher finds more of the true neighbours, slower. */
    efSearch: int(1, 1_000, 40),
    ingest: z
      .object({
        /**
         * One embedding call = one admission slot, held for one batch: at most this many chunks and
         * `batchTokens` tokens (one slot's context), so chat waits at most one batch for a slot.
         */
        batchSize: int(1, 512, 32),
        batchTokens: int(16, 1_000_000, 2_048),
        /**
         * Chunks written to the store per statement. A chat's search waits for at most one such
         * statement (the store runs searches before queued ingest work), so smaller is fairer to
         * chat and larger loads faster.
         */
        statementChunks: int(1, 1_000, 2),
        /** Largest document accepted (bytes of content). */
        maxDocumentBytes: int(1, 64 * 1024 * 1024, 2 * 1024 * 1024),
        /** Documents in one upload request. */
        maxDocuments: int(1, 10_000, 500),
        /** Finished jobs kept for status queries. */
        keepJobs: int(1, 100_000, 1_000),
        /**
         * Worker threads that extract and chunk documents and compare their chunks, so no document
         * holds the event loop that serves chat streams and /healthz.
         */
        workers: int(1, 64, 2),
        /** Documents waiting for a worker; past it a document fails with `workers_busy`. */
        workerQueue: int(1, 100_000, 1_000),
        /**
         * CPU time one document may take in the workers (extraction, chunking, near-duplicate
         * check); past it its worker is stopped and that document fails with `cpu_budget_exceeded`.
         */
        cpuMsPerDocument: int(100, 3_600_000, 30_000),
        /** Output budget: distinct chunks one document may make (`too_many_chunks` past it). */
        maxChunksPerDocument: int(1, 1_000_000, 5_000),
        /** Heap of each worker: a document that needs more fails with `memory_budget_exceeded`. */
        workerMemoryMb: int(32, 65_536, 512),
      })
      .prefault({}),
  })
  .prefault({});
export type RetrievalConfig = z.infer<typeof retrievalConfigSchema>;

export const RETRIEVAL_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['RETRIEVAL_ENABLED', 'retrieval.enabled'],
  ['DATABASE_URL', 'retrieval.databaseUrl'],
  ['DATABASE_REGION', 'retrieval.databaseRegion'],
  ['RETRIEVAL_DATA_DIR', 'retrieval.embedded.dataDir'],
  ['EMBED_MODEL', 'retrieval.embedModel'],
  ['CHUNK_TOKENS', 'retrieval.chunk.tokens'],
  ['CHUNK_OVERLAP', 'retrieval.chunk.overlap'],
];

/** The settings one retrieval uses: the alias's own, else the stage's defaults. */
export interface RetrievalSettings {
  collection: string;
  topK: TopKSettings;
  dedupThreshold: number;
  budgetTokens: number;
  candidates: number;
}

export function settingsFor(cfg: RetrievalConfig, alias: AliasRetrieval): RetrievalSettings {
  const topK = alias.topK ?? cfg.topK;
  return {
    collection: alias.collection,
    topK,
    dedupThreshold: alias.dedupThreshold ?? cfg.dedupThreshold,
    budgetTokens: alias.budgetTokens ?? cfg.budgetTokens,
    candidates: Math.max(alias.candidates ?? cfg.candidates, topK.max),
  };
}
