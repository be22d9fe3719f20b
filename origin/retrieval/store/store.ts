import postgres from 'postgres';
import type { Logger } from 'pino';
import type { RetrievalConfig } from '../config.ts';
import type { DocumentFormat } from '../extract.ts';
import type { RetrievedChunk } from '../prompt.ts';
import { fromPgVector, toPgVector } from '../vector.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { applyMigrations } from './migrate.ts';
import { hnswIndexSql, MIGRATIONS } from './migrations.ts';
import { StatementScheduler, type Lane } from './scheduler.ts';

type Sql = postgres.Sql;

/** On a shared Postgres, a version still unpublished after this long was abandoned by its writer. */
const STALE_STAGED_SECONDS = 3600;
/** Fewest chunks written between two ANALYZE runs (and at least a tenth of the table). */
const ANALYZE_AFTER_CHUNKS = 200;

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

/** A version being written by this process; removed by the next start if the process dies. */
interface Staged {
  cid: string;
  version: string;
  /** This upload created the collection: an upload that fails leaves no empty collection behind. */
  createdCollection: boolean;
}

/**
 * Collections, documents and chunk vectors in Postgres with pgvector, through the `postgres`
 * driver, whether the database is the user's own (databaseUrl) or the embedded PGlite.
 *
 * Every statement goes through the store's scheduler: a chat's search runs before any queued
 * ingest statement. A document is written in short statements under a version readers do not
 * see, then published (and its previous version deleted) in one short transaction, so a search
 * waits for at most one of those statements, never for a whole document.
 */
export class RetrievalStore {
  private readonly indexed = new Set<number>();
  /** Chunks written since the planner's statistics were last refreshed (ANALYZE). */
  private unanalyzed = 0;

  private constructor(
    readonly sql: Sql,
    private readonly embedded: EmbeddedPostgres | undefined,
    private readonly efSearch: number,
    /** Chunks written (or checked for near-duplicates) per ingest statement. */
    private readonly statementChunks: number,
    readonly scheduler: StatementScheduler,
    /** `postgres` (the user's database) or `embedded`. */
    readonly kind: 'postgres' | 'embedded',
  ) {}

  static async open(cfg: RetrievalConfig, log: Logger): Promise<RetrievalStore> {
    const embedded = cfg.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: cfg.embedded.dataDir, maxConnections: 2 });
    const url = cfg.databaseUrl ?? embedded!.url;
    // PGlite is one Postgres session behind its socket: the extended-protocol messages of queries
    // on two connections would interleave (one's unnamed portal replacing the other's), so the
    // embedded store gets one connection, shared by the scheduler.
    const connections = embedded ? 1 : cfg.poolSize;
    const sql = postgres(url, { max: connections, onnotice: () => {}, idle_timeout: 60, connect_timeout: 10 });
    const store = new RetrievalStore(sql, embedded, cfg.efSearch, cfg.ingest.statementChunks, new StatementScheduler(connections), embedded ? 'embedded' : 'postgres');
    try {
      const applied = await store.migrate();
      // The embedded database belongs to this process alone: whatever was being written when it
      // last stopped is abandoned. A shared Postgres may have replicas writing right now, so only
      // versions older than any upload could take are abandoned there.
      const swept = await store.sweepStaged(embedded ? 0 : STALE_STAGED_SECONDS);
      log.info({ store: store.kind, migrationsApplied: applied, abandonedVersionsRemoved: swept }, 'retrieval store ready');
    } catch (err) {
      await store.close();
      const where = embedded ? 'the embedded database' : `the database at DATABASE_URL (${new URL(url).host})`;
      throw new Error(`retrieval store: cannot prepare ${where}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  private read<T>(fn: () => Promise<T>): Promise<T> {
    return this.scheduler.run('interactive', fn);
  }

  private write<T>(fn: () => Promise<T>): Promise<T> {
    return this.scheduler.run('ingest', fn);
  }

  /** Applies every migration not yet recorded; returns how many ran. */
  migrate(): Promise<number> {
    return applyMigrations(this.sql, MIGRATION_LOCK, 'puerta_schema_migrations', MIGRATIONS);
  }

  /** Removes versions whose writing began at least `olderThanSeconds` ago and never finished. */
  async sweepStaged(olderThanSeconds: number): Promise<number> {
    return this.write(() =>
      this.sql.begin(async (tx) => {
        const gone = await tx<{ version: string }[]>`DELETE FROM staged_versions WHERE started_at <= now() - ${olderThanSeconds} * interval '1 second' RETURNING version`;
        if (gone.length > 0) await tx`DELETE FROM chunks WHERE version = ANY(${gone.map((g) => g.version)}::bigint[])`;
        // First uploads never published and no longer being written.
        await tx`DELETE FROM documents d WHERE d.version IS NULL AND NOT EXISTS (SELECT 1 FROM staged_versions s WHERE s.collection_id = d.collection_id AND s.document_id = d.id)`;
        return gone.length;
      }),
    );
  }

  async schemaVersion(): Promise<number> {
    const [r] = await this.read(() => this.sql<{ v: number | null }[]>`SELECT max(version) AS v FROM puerta_schema_migrations`);
    return r?.v ?? 0;
  }

  /**
   * The HNSW index for one embedding width (created on first use; after a bulk load, call it
   * once the rows are in: building over existing rows is faster than inserting into the graph).
   */
  async createIndex(dims: number, lane: Lane = 'ingest'): Promise<void> {
    if (this.indexed.has(dims)) return;
    if (!Number.isInteger(dims) || dims < 1 || dims > 16_000) throw new Error(`embedding width ${dims} is outside pgvector's 1..16000`);
    await this.scheduler.run(lane, () => this.sql.unsafe(hnswIndexSql(dims)));
    this.indexed.add(dims);
  }

  async listCollections(tenant: string): Promise<CollectionInfo[]> {
    const rows = await this.read(() => this.sql<{ name: string; created_at: Date; documents: string; chunks: string }[]>`
      SELECT c.name, c.created_at,
        (SELECT count(*) FROM documents d WHERE d.collection_id = c.id AND d.version IS NOT NULL) AS documents,
        (SELECT coalesce(sum(d.chunks), 0) FROM documents d WHERE d.collection_id = c.id AND d.version IS NOT NULL) AS chunks
      FROM collections c WHERE c.tenant_id = ${tenant} ORDER BY c.name`);
    return rows.map((r) => ({ name: r.name, documents: Number(r.documents), chunks: Number(r.chunks), createdAt: r.created_at.toISOString() }));
  }

  async collection(s: Scope): Promise<CollectionInfo | undefined> {
    return (await this.listCollections(s.tenant)).find((c) => c.name === s.collection);
  }

  async deleteCollection(s: Scope): Promise<boolean> {
    // Chunks first in the same transaction: they reference documents, documents the collection.
    return this.read(() =>
      this.sql.begin(async (tx) => {
        const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection} FOR UPDATE`;
        if (!c) return false;
        await tx`DELETE FROM chunks WHERE collection_id = ${c.id} AND tenant_id = ${s.tenant}`;
        await tx`DELETE FROM collections WHERE id = ${c.id} AND tenant_id = ${s.tenant}`;
        return true;
      }),
    );
  }

  async listDocuments(s: Scope): Promise<DocumentInfo[] | undefined> {
    return this.read(async () => {
      const [c] = await this.sql<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection}`;
      if (!c) return undefined;
      const rows = await this.sql<Array<{ id: string; title: string | null; format: DocumentFormat; metadata: Record<string, unknown>; bytes: number; chunks: number; duplicates_dropped: number; content_sha256: string; updated_at: Date }>>`
        SELECT id, title, format, metadata, bytes, chunks, duplicates_dropped, content_sha256, updated_at
        FROM documents WHERE collection_id = ${c.id} AND tenant_id = ${s.tenant} AND version IS NOT NULL ORDER BY id`;
      return rows.map((r) => ({ id: r.id, title: r.title, format: r.format, metadata: r.metadata, bytes: r.bytes, chunks: r.chunks, duplicatesDropped: r.duplicates_dropped, contentSha256: r.content_sha256, updatedAt: r.updated_at.toISOString() }));
    });
  }

  /** Deletes a published document (one still being written for the first time is not found yet). */
  async deleteDocument(s: Scope, documentId: string): Promise<boolean> {
    return this.read(() =>
      this.sql.begin(async (tx) => {
        const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection}`;
        if (!c) return false;
        const gone = await tx`DELETE FROM documents WHERE collection_id = ${c.id} AND id = ${documentId} AND tenant_id = ${s.tenant} AND version IS NOT NULL`;
        // Its chunks of every version go with it (the foreign key cascades).
        return gone.count > 0;
      }),
    );
  }

  /**
   * Replaces a document and all its chunks: readers see the old version or the new one, never a
   * mix, and a failure leaves the old one whole with nothing of the new one behind. A chunk at
   * least `dedupThreshold` similar to a published chunk of another document of the collection is
   * not stored.
   *
   * The new chunks are written `statementChunks` at a time under a fresh version that no reader
   * joins to; one short transaction then points the document at it and deletes the old chunks.
   * Two uploads of the same document at once: the one published last wins, whole.
   */
  async replaceDocument(s: Scope, doc: NewDocument, chunks: readonly NewChunk[], dedupThreshold: number): Promise<{ stored: number; duplicatesDropped: number }> {
    const dims = chunks[0]?.vector.length;
    if (dims !== undefined) await this.createIndex(dims);
    const staged = await this.stage(s, doc);
    try {
      let keep = chunks;
      if (dims !== undefined) {
        const dup = new Set<number>();
        for (let from = 0; from < chunks.length; from += this.statementChunks) {
          for (const i of await this.nearDuplicates(s, staged.cid, doc.id, chunks, from, dims, dedupThreshold)) dup.add(i);
        }
        keep = chunks.filter((_, i) => !dup.has(i));
      }
      for (let from = 0; from < keep.length; from += this.statementChunks) {
        await this.insertChunks(s, staged, doc.id, keep.slice(from, from + this.statementChunks), dims!);
      }
      const dropped = chunks.length - keep.length;
      await this.publish(s, staged, doc, keep.length, dropped);
      await this.refreshStatistics(keep.length);
      return { stored: keep.length, duplicatesDropped: dropped };
    } catch (err) {
      // Best effort: what this cannot remove, the next start's sweep does.
      await this.discard(staged, doc.id).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Without statistics the planner takes every collection for a handful of rows and scans it
   * exactly instead of through the HNSW index: fine at a few hundred chunks, linear at 100k. A
   * real Postgres refreshes them by autovacuum; the embedded one has none, so the store runs
   * ANALYZE (one sampled, bounded statement) whenever the table has grown by a tenth.
   */
  private async refreshStatistics(written: number): Promise<void> {
    this.unanalyzed += written;
    if (this.unanalyzed < ANALYZE_AFTER_CHUNKS) return;
    const [r] = await this.write(() => this.sql<{ n: string }[]>`SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'chunks'`);
    if (this.unanalyzed < Math.max(0, Number(r?.n ?? 0)) / 10) return;
    this.unanalyzed = 0;
    // Only the columns searches filter and join on: sampling the text and vectors too costs ten
    // times as long, and a search may be waiting behind this statement.
    await this.write(() => this.sql`ANALYZE chunks (tenant_id, collection_id, document_id, dims, version), documents, collections`);
  }

  /** Opens a version for the document: its row (unpublished if new) and the staging record. */
  private stage(s: Scope, doc: NewDocument): Promise<Staged> {
    return this.write(() =>
      this.sql.begin(async (tx) => {
        const created = await tx`INSERT INTO collections (tenant_id, name) VALUES (${s.tenant}, ${s.collection}) ON CONFLICT (tenant_id, name) DO NOTHING`;
        const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection}`;
        const cid = c!.id;
        await tx`
          INSERT INTO documents (collection_id, id, tenant_id, title, format, metadata, content_sha256, bytes, chunks, duplicates_dropped, version)
          VALUES (${cid}, ${doc.id}, ${s.tenant}, ${doc.title}, ${doc.format}, ${tx.json(doc.metadata as postgres.JSONValue)}, ${doc.contentSha256}, ${doc.bytes}, 0, 0, NULL)
          ON CONFLICT (collection_id, id) DO NOTHING`;
        const [v] = await tx<{ version: string }[]>`INSERT INTO staged_versions (version, collection_id, document_id) VALUES (nextval('chunk_versions'), ${cid}, ${doc.id}) RETURNING version`;
        return { cid, version: v!.version, createdCollection: created.count > 0 };
      }),
    );
  }

  /**
   * Indexes (into `chunks`) of the chunks from `from` on that are near-duplicates of published
   * chunks of other documents. The vectors are cast to vector[] once, in the unnest: a text cast in
   * the ORDER BY would be parsed again for every row compared.
   */
  private async nearDuplicates(s: Scope, cid: string, documentId: string, chunks: readonly NewChunk[], from: number, dims: number, threshold: number): Promise<number[]> {
    const part = chunks.slice(from, from + this.statementChunks);
    const d = this.sql.unsafe(String(dims));
    const near = await this.write(() =>
      this.sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL hnsw.ef_search = ${this.efSearch}; SET LOCAL hnsw.iterative_scan = relaxed_order`);
        return tx<{ i: number; sim: number }[]>`
          SELECT q.i, n.sim FROM unnest(${part.map((_, i) => from + i)}::int[], ${part.map((ch) => toPgVector(ch.vector))}::text[]::vector[]) AS q(i, v)
          CROSS JOIN LATERAL (
            SELECT 1 - (k.embedding::vector(${d}) <=> q.v) AS sim
            FROM chunks k JOIN documents o ON o.collection_id = k.collection_id AND o.id = k.document_id AND o.version = k.version
            WHERE k.collection_id = ${cid} AND k.tenant_id = ${s.tenant} AND k.dims = ${d} AND k.document_id <> ${documentId}
            ORDER BY k.embedding::vector(${d}) <=> q.v LIMIT 1
          ) n`;
      }),
    );
    return near.filter((r) => r.sim >= threshold).map((r) => r.i);
  }

  private insertChunks(s: Scope, staged: Staged, documentId: string, part: readonly NewChunk[], dims: number): Promise<unknown> {
    return this.write(
      () => this.sql`
        INSERT INTO chunks (collection_id, tenant_id, document_id, seq, text, tokens, dims, embedding, version)
        SELECT ${staged.cid}, ${s.tenant}, ${documentId}, u.seq, u.text, u.tokens, ${dims}, u.v::vector, ${staged.version}
        FROM unnest(${part.map((k) => k.seq)}::int[], ${part.map((k) => k.text)}::text[], ${part.map((k) => k.tokens)}::int[], ${part.map((k) => toPgVector(k.vector))}::text[]) AS u(seq, text, tokens, v)`,
    );
  }

  /** Points the document at the staged version and deletes its older chunks, in one short transaction. */
  private publish(s: Scope, staged: Staged, doc: NewDocument, stored: number, dropped: number): Promise<void> {
    return this.write(() =>
      this.sql.begin(async (tx) => {
        // The row lock orders two publications of the same document.
        const updated = await tx`
          UPDATE documents SET version = ${staged.version}, title = ${doc.title}, format = ${doc.format}, metadata = ${tx.json(doc.metadata as postgres.JSONValue)},
            content_sha256 = ${doc.contentSha256}, bytes = ${doc.bytes}, chunks = ${stored}, duplicates_dropped = ${dropped}, updated_at = now()
          WHERE collection_id = ${staged.cid} AND id = ${doc.id} AND tenant_id = ${s.tenant}`;
        const [n] = await tx<{ n: string }[]>`SELECT count(*) AS n FROM chunks WHERE collection_id = ${staged.cid} AND document_id = ${doc.id} AND version = ${staged.version}`;
        if (updated.count !== 1 || Number(n!.n) !== stored) {
          throw new Error(`document '${doc.id}' or its collection was deleted while this upload was being written`);
        }
        await tx`
          DELETE FROM chunks WHERE collection_id = ${staged.cid} AND document_id = ${doc.id} AND version <> ${staged.version}
            AND version NOT IN (SELECT version FROM staged_versions WHERE collection_id = ${staged.cid} AND document_id = ${doc.id})`;
        await tx`DELETE FROM staged_versions WHERE version = ${staged.version}`;
      }),
    );
  }

  /** Removes an unfinished version: its chunks, its record, and the document row if never published. */
  private discard(staged: Staged, documentId: string): Promise<void> {
    return this.write(() =>
      this.sql.begin(async (tx) => {
        await tx`DELETE FROM chunks WHERE collection_id = ${staged.cid} AND document_id = ${documentId} AND version = ${staged.version}`;
        await tx`DELETE FROM staged_versions WHERE version = ${staged.version}`;
        await tx`
          DELETE FROM documents d WHERE d.collection_id = ${staged.cid} AND d.id = ${documentId} AND d.version IS NULL
            AND NOT EXISTS (SELECT 1 FROM staged_versions v WHERE v.collection_id = d.collection_id AND v.document_id = d.id)`;
        if (staged.createdCollection) {
          await tx`DELETE FROM collections c WHERE c.id = ${staged.cid} AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.collection_id = c.id)`;
        }
      }),
    );
  }

  /**
   * Writes an already-embedded document in one transaction, many rows per statement, with no
   * near-duplicate check: for bulk loads (a migration from another store, the retrieval
   * benchmark) where no chat shares the database yet. Build the index afterwards (createIndex).
   */
  async importDocument(s: Scope, doc: NewDocument, chunks: readonly NewChunk[]): Promise<void> {
    const dims = chunks[0]?.vector.length ?? 0;
    await this.write(() =>
      this.sql.begin(async (tx) => {
        await tx`INSERT INTO collections (tenant_id, name) VALUES (${s.tenant}, ${s.collection}) ON CONFLICT (tenant_id, name) DO NOTHING`;
        const [c] = await tx<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection}`;
        const [v] = await tx<{ version: string }[]>`SELECT nextval('chunk_versions') AS version`;
        await tx`DELETE FROM documents WHERE collection_id = ${c!.id} AND id = ${doc.id}`;
        await tx`
          INSERT INTO documents (collection_id, id, tenant_id, title, format, metadata, content_sha256, bytes, chunks, duplicates_dropped, version)
          VALUES (${c!.id}, ${doc.id}, ${s.tenant}, ${doc.title}, ${doc.format}, ${tx.json(doc.metadata as postgres.JSONValue)}, ${doc.contentSha256}, ${doc.bytes}, ${chunks.length}, 0, ${v!.version})`;
        if (chunks.length > 0) {
          await tx`
            INSERT INTO chunks (collection_id, tenant_id, document_id, seq, text, tokens, dims, embedding, version)
            SELECT ${c!.id}, ${s.tenant}, ${doc.id}, u.seq, u.text, u.tokens, ${dims}, u.v::vector, ${v!.version}
            FROM unnest(${chunks.map((k) => k.seq)}::int[], ${chunks.map((k) => k.text)}::text[], ${chunks.map((k) => k.tokens)}::int[], ${chunks.map((k) => toPgVector(k.vector))}::text[]) AS u(seq, text, tokens, v)`;
        }
      }),
    );
    await this.refreshStatistics(chunks.length);
  }

  /**
   * The `limit` chunks of the tenant's collection nearest to `query` by cosine distance, through
   * the HNSW index of the query's width. Undefined when the tenant has no such collection.
   */
  async search(s: Scope, query: ArrayLike<number>, limit: number): Promise<RetrievedChunk[] | undefined> {
    const dims = query.length;
    await this.createIndex(dims, 'interactive');
    const q = toPgVector(query);
    const d = this.sql.unsafe(String(dims));
    // One statement: the collection found among the tenant's own, then its nearest published chunks.
    const select = (tx: postgres.TransactionSql) => tx<Array<{ cid: string; id: string | null; document_id: string; title: string | null; seq: number; text: string; tokens: number; score: number; embedding: string }>>`
      WITH c AS (SELECT id FROM collections WHERE tenant_id = ${s.tenant} AND name = ${s.collection})
      SELECT c.id AS cid, n.* FROM c LEFT JOIN LATERAL (
        SELECT k.id, k.document_id, d.title, k.seq, k.text, k.tokens, 1 - (k.embedding::vector(${d}) <=> ${q}::vector(${d})) AS score, k.embedding::text AS embedding
        FROM chunks k JOIN documents d ON d.collection_id = k.collection_id AND d.id = k.document_id AND d.version = k.version
        WHERE k.collection_id = c.id AND k.tenant_id = ${s.tenant} AND k.dims = ${d}
        ORDER BY k.embedding::vector(${d}) <=> ${q}::vector(${d}) LIMIT ${limit}
      ) n ON true`;
    // The index is shared by every tenant, collection and unpublished version: a plain HNSW scan
    // returns ef_search neighbours and only then filters, so a small collection in a large table
    // would come back short. Iterative scans (pgvector 0.8) keep walking the graph until `limit`
    // rows pass the filter; relaxed order is faster and the rows are sorted again below.
    const rows = await this.read(() =>
      this.sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL hnsw.ef_search = ${this.efSearch}; SET LOCAL hnsw.iterative_scan = relaxed_order`);
        return select(tx);
      }),
    );
    if (rows.length === 0) return undefined;
    return rows.filter((r) => r.id !== null).sort((a, b) => b.score - a.score).map((r) => ({ chunkId: String(r.id), documentId: r.document_id, title: r.title, seq: r.seq, text: r.text, tokens: r.tokens, score: Number(r.score), vector: fromPgVector(r.embedding) }));
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
    await this.embedded?.close();
  }
}
