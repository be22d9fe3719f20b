import postgres from 'postgres';
import type { Logger } from 'pino';
import type { RetrievalConfig } from '../config.ts';
import type { DocumentFormat } from '../extract.ts';
import type { RetrievedChunk } from '../prompt.ts';
import { fromPgVector, toPgVector } from '../vector.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { hnswIndexSql, MIGRATIONS } from './migrations.ts';

type Sql = postgres.Sql;

export interface CollectionInfo {
  name: string;
  documents: number;
  chunks: number;
  createdAt: string;
}

export interface DocumentInfo {
  id: string;
  title: string | null;
  format: DocumentFormat;
  metadata: Record<string, unknown>;
  bytes: number;
  chunks: number;
  duplicatesDropped: number;
  contentSha256: string;
  updatedAt: string;
}

export interface NewDocument {
  id: string;
  title: string | null;
  format: DocumentFormat;
  metadata: Record<string, unknown>;
  bytes: number;
  contentSha256: string;
}

export interface NewChunk {
  seq: number;
  text: string;
  tokens: number;
  vector: ArrayLike<number>;
}

/** Every read and write names the tenant: a collection is found only among its owner's. */
export interface Scope {
  tenant: string;
  collection: string;
}

/** Advisory lock key held while migrating ("puer"). */
const MIGRATION_LOCK = 0x70756572; // "puer"

/**
 * Collections, documents and chunk vectors in Postgres with pgvector, through the `postgres`
 * driver, whether the database is the user's own (databaseUrl) or the embedded PGlite.
 */
export class RetrievalStore {
  private readonly indexed = new Set<number>();

  private constructor(
    readonly sql: Sql,
    private readonly embedded: EmbeddedPostgres | undefined,
    private readonly efSearch: number,
    /** `postgres` (the user's database) or `embedded`. */
    readonly kind: 'postgres' | 'embedded',
  ) {}

  static async open(cfg: RetrievalConfig, log: Logger): Promise<RetrievalStore> {
    const embedded = cfg.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: cfg.embedded.dataDir, maxConnections: 2 });
    const url = cfg.databaseUrl ?? embedded!.url;
    // PGlite is one Postgres session behind its socket: the extended-protocol messages of queries
    // on two connections would interleave (one's unnamed portal replacing the other's), so the
    // embedded store gets one connection and the driver queues queries on it.
    const sql = postgres(url, { max: embedded ? 1 : cfg.poolSize, onnotice: () => {}, idle_timeout: 60, connect_timeout: 10 });
    const store = new RetrievalStore(sql, embedded, cfg.efSearch, embedded ? 'embedded' : 'postgres');
    try {
      const applied = await store.migrate();
      log.info({ store: store.kind, migrationsApplied: applied }, 'retrieval store ready');
    } catch (err) {
      await store.close();
      const where = embedded ? 'the embedded database' : `the database at DATABASE_URL (${new URL(url).host})`;
      throw new Error(`retrieval store: cannot prepare ${where}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  /** Applies every migration not yet recorded; returns how many ran. */
  async migrate(): Promise<number> {
    let ran = 0;
    await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS puerta_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
      const done = new Set((await tx<{ version: number }[]>`SELECT version FROM puerta_schema_migrations`).map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await tx.unsafe(m.sql);
        await tx`INSERT INTO puerta_schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
        ran++;
      }
    });
    return ran;
  }

  async schemaVersion(): Promise<number> {
    const [r] = await this.sql<{ v: number | null }[]>`SELECT max(version) AS v FROM puerta_schema_migrations`;
    return r?.v ?? 0;
  }

  private async ensureIndex(dims: number): Promise<void> {
    if (this.indexed.has(dims)) return;
    if (!Number.isInteger(dims) || dims < 1 || dims > 16_000) throw new Error(`embedding width ${dims} is outside pgvector's 1..16000`);
    await this.sql.unsafe(hnswIndexSql(dims));
    this.indexed.add(dims);
  }

  async listCollections(tenant: string): Promise<CollectionInfo[]> {
    const rows = await this.sql<{ name: string; created_at: Date; documents: string; chunks: string }[]>`
      SELECT c.name, c.created_at,
        (SELECT count(*) FROM documents d WHERE d.collection_id = c.id) AS documents,
        (SELECT count(*) FROM chunks k WHERE k.collection_id = c.id) AS chunks
      FROM collections c WHERE c.tenant_id = ${tenant} ORDER BY c.name`;
    return rows.map((r) => ({ name: r.name, documents: Number(r.documents), chunks: Number(r.chunks), createdAt: r.created_at.toISOString() }));
  }

  async collection(s: Scope): Promise<CollectionInfo | undefined> {
    return (await this.listCollections(s.tenant)).find((c) => c.name === s.collection);
  }

  async deleteCollection(s: Scope): Promise<boolean> {
    // Chunks first in the same transaction: they reference documents, documents the collection.
    return this.sql.begin(async (tx) => {
      const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection} FOR UPDATE`;
      if (!c) return false;
      await tx`DELETE FROM chunks WHERE collection_id = ${c.id} AND tenant_id = ${s.tenant}`;
      await tx`DELETE FROM collections WHERE id = ${c.id} AND tenant_id = ${s.tenant}`;
      return true;
    });
  }

  async listDocuments(s: Scope): Promise<DocumentInfo[] | undefined> {
    const [c] = await this.sql<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection}`;
    if (!c) return undefined;
    const rows = await this.sql<Array<{ id: string; title: string | null; format: DocumentFormat; metadata: Record<string, unknown>; bytes: number; chunks: number; duplicates_dropped: number; content_sha256: string; updated_at: Date }>>`
      SELECT id, title, format, metadata, bytes, chunks, duplicates_dropped, content_sha256, updated_at
      FROM documents WHERE collection_id = ${c.id} AND tenant_id = ${s.tenant} ORDER BY id`;
    return rows.map((r) => ({ id: r.id, title: r.title, format: r.format, metadata: r.metadata, bytes: r.bytes, chunks: r.chunks, duplicatesDropped: r.duplicates_dropped, contentSha256: r.content_sha256, updatedAt: r.updated_at.toISOString() }));
  }

  async deleteDocument(s: Scope, documentId: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection}`;
      if (!c) return false;
      await tx`DELETE FROM chunks WHERE collection_id = ${c.id} AND document_id = ${documentId}`;
      const gone = await tx`DELETE FROM documents WHERE collection_id = ${c.id} AND id = ${documentId} AND tenant_id = ${s.tenant}`;
      return gone.count > 0;
    });
  }

  /**
   * Replaces a document and all its chunks in one transaction: readers see the old version or the
   * new one, never a mix, and a failure leaves the old one whole. A chunk at least
   * `dedupThreshold` similar to a chunk of another document of the collection is not stored.
   */
  async replaceDocument(s: Scope, doc: NewDocument, chunks: readonly NewChunk[], dedupThreshold: number): Promise<{ stored: number; duplicatesDropped: number }> {
    const dims = chunks[0]?.vector.length;
    if (dims !== undefined) await this.ensureIndex(dims);
    return this.sql.begin(async (tx) => {
      await tx`INSERT INTO collections (tenant_id, name) VALUES (${s.tenant}, ${s.collection}) ON CONFLICT (tenant_id, name) DO NOTHING`;
      // FOR UPDATE: two uploads of the same collection at once apply one after the other.
      const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection} FOR UPDATE`;
      const cid = c!.id;
      await tx`DELETE FROM chunks WHERE collection_id = ${cid} AND document_id = ${doc.id}`;
      let keep = chunks;
      if (dims !== undefined && chunks.length > 0) {
        const near = await tx<{ i: number; sim: number }[]>`
          SELECT q.i, n.sim FROM unnest(${chunks.map((_, i) => i)}::int[], ${chunks.map((ch) => toPgVector(ch.vector))}::text[]) AS q(i, v)
          CROSS JOIN LATERAL (
            SELECT 1 - (k.embedding::vector(${tx.unsafe(String(dims))}) <=> q.v::vector(${tx.unsafe(String(dims))})) AS sim
            FROM chunks k WHERE k.collection_id = ${cid} AND k.tenant_id = ${s.tenant} AND k.dims = ${tx.unsafe(String(dims))}
            ORDER BY k.embedding::vector(${tx.unsafe(String(dims))}) <=> q.v::vector(${tx.unsafe(String(dims))}) LIMIT 1
          ) n`;
        const dup = new Set(near.filter((r) => r.sim >= dedupThreshold).map((r) => r.i));
        keep = chunks.filter((_, i) => !dup.has(i));
      }
      const dropped = chunks.length - keep.length;
      await tx`
        INSERT INTO documents (collection_id, id, tenant_id, title, format, metadata, content_sha256, bytes, chunks, duplicates_dropped, updated_at)
        VALUES (${cid}, ${doc.id}, ${s.tenant}, ${doc.title}, ${doc.format}, ${tx.json(doc.metadata as postgres.JSONValue)}, ${doc.contentSha256}, ${doc.bytes}, ${keep.length}, ${dropped}, now())
        ON CONFLICT (collection_id, id) DO UPDATE SET title = EXCLUDED.title, format = EXCLUDED.format, metadata = EXCLUDED.metadata,
          content_sha256 = EXCLUDED.content_sha256, bytes = EXCLUDED.bytes, chunks = EXCLUDED.chunks,
          duplicates_dropped = EXCLUDED.duplicates_dropped, updated_at = now()`;
      if (keep.length > 0) {
        await tx`
          INSERT INTO chunks (collection_id, tenant_id, document_id, seq, text, tokens, dims, embedding)
          SELECT ${cid}, ${s.tenant}, ${doc.id}, u.seq, u.text, u.tokens, ${dims!}, u.v::vector
          FROM unnest(${keep.map((k) => k.seq)}::int[], ${keep.map((k) => k.text)}::text[], ${keep.map((k) => k.tokens)}::int[], ${keep.map((k) => toPgVector(k.vector))}::text[]) AS u(seq, text, tokens, v)`;
      }
      return { stored: keep.length, duplicatesDropped: dropped };
    });
  }

  /**
   * The `limit` chunks of the tenant's collection nearest to `query` by cosine distance, through
   * the HNSW index of the query's width. Undefined when the tenant has no such collection.
   */
  async search(s: Scope, query: ArrayLike<number>, limit: number): Promise<RetrievedChunk[] | undefined> {
    const dims = query.length;
    await this.ensureIndex(dims);
    const q = toPgVector(query);
    const d = this.sql.unsafe(String(dims));
    // One statement, one round trip: the collection found among the tenant's own, then its nearest chunks.
    const select = (tx: postgres.TransactionSql) => tx<Array<{ cid: string; id: string | null; document_id: string; title: string | null; seq: number; text: string; tokens: number; score: number; embedding: string }>>`
      WITH c AS (SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection})
      SELECT c.id AS cid, n.* FROM c LEFT JOIN LATERAL (
        SELECT k.id, k.document_id, d.title, k.seq, k.text, k.tokens, 1 - (k.embedding::vector(${d}) <=> ${q}::vector(${d})) AS score, k.embedding::text AS embedding
        FROM chunks k JOIN documents d ON d.collection_id = k.collection_id AND d.id = k.document_id
        WHERE k.collection_id = c.id AND k.tenant_id = ${s.tenant} AND k.dims = ${d}
        ORDER BY k.embedding::vector(${d}) <=> ${q}::vector(${d}) LIMIT ${limit}
      ) n ON true`;
    // The index is shared by every tenant and collection: a plain HNSW scan returns ef_search
    // neighbours and only then filters, so a small collection in a large table would come back
    // short. Iterative scans (pgvector 0.8) keep walking the graph until `limit` rows pass the
    // filter; relaxed order is faster and the rows are sorted again below.
    const rows = await this.sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL hnsw.ef_search = ${this.efSearch}; SET LOCAL hnsw.iterative_scan = relaxed_order`);
      return select(tx);
    });
    if (rows.length === 0) return undefined;
    return rows.filter((r) => r.id !== null).sort((a, b) => b.score - a.score).map((r) => ({ chunkId: String(r.id), documentId: r.document_id, title: r.title, seq: r.seq, text: r.text, tokens: r.tokens, score: Number(r.score), vector: fromPgVector(r.embedding) }));
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
    await this.embedded?.close();
  }
}
