/**
 * The store's schema, one entry per version, applied in order at start (each in its own
 * transaction, under an advisory lock so replicas starting together do not race). Never edit an
 * applied entry: add the next version.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'collections, documents, chunks',
    sql: `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE collections (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);
CREATE TABLE documents (
  collection_id bigint NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  id text NOT NULL,
  tenant_id text NOT NULL,
  title text,
  format text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  content_sha256 text NOT NULL,
  bytes integer NOT NULL,
  chunks integer NOT NULL,
  duplicates_dropped integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection_id, id)
);
CREATE TABLE chunks (
  id bigserial PRIMARY KEY,
  collection_id bigint NOT NULL,
  tenant_id text NOT NULL,
  document_id text NOT NULL,
  seq integer NOT NULL,
  text text NOT NULL,
  tokens integer NOT NULL,
  dims integer NOT NULL,
  embedding vector NOT NULL,
  FOREIGN KEY (collection_id, document_id) REFERENCES documents(collection_id, id) ON DELETE CASCADE
);
CREATE INDEX chunks_by_document ON chunks (collection_id, document_id);
CREATE INDEX chunks_by_collection ON chunks (tenant_id, collection_id);
`,
  },
  {
    version: 2,
    name: 'versioned chunks: a document is re-uploaded in short statements, then published at once',
    sql: `
CREATE SEQUENCE chunk_versions;
-- The version whose chunks readers see; NULL while a first upload is still being written.
ALTER TABLE documents ADD COLUMN version bigint;
UPDATE documents SET version = 0;
ALTER TABLE chunks ADD COLUMN version bigint NOT NULL DEFAULT 0;
ALTER TABLE chunks ALTER COLUMN version DROP DEFAULT;
DROP INDEX chunks_by_document;
CREATE INDEX chunks_by_document ON chunks (collection_id, document_id, version);
-- Versions being written: what a crashed writer left is found here and removed at the next start.
CREATE TABLE staged_versions (
  version bigint PRIMARY KEY,
  collection_id bigint NOT NULL,
  document_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
];

/**
 * The HNSW index (cosine) for one embedding width. The column holds any width (models differ), so
 * each width gets a partial expression index, which pgvector supports; queries use the same
 * expression and predicate so the planner can pick it.
 */
export function hnswIndexSql(dims: number): string {
  return `CREATE INDEX IF NOT EXISTS chunks_hnsw_${dims} ON chunks USING hnsw ((embedding::vector(${dims})) vector_cosine_ops) WHERE dims = ${dims}`;
}
