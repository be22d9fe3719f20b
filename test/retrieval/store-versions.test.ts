import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrievalConfigSchema } from '../../origin/retrieval/config.ts';
import { RetrievalStore, type NewChunk, type NewDocument } from '../../origin/retrieval/store/store.ts';
import { mulberry32 } from '../../sim/text.ts';

// The store alone, on the embedded Postgres over the wire, writing one chunk per statement so a
// document takes many statements and readers get between them.
let store: RetrievalStore;
const DIMS = 16;
const rand = mulberry32(14);
const scope = { tenant: 'acme', collection: 'versions' };

function unit(): number[] {
  const v = Array.from({ length: DIMS }, () => rand() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const chunks = (n: number, tag: string): NewChunk[] => Array.from({ length: n }, (_, i) => ({ seq: i, text: `${tag} ${i}`, tokens: 3, vector: unit() }));
const doc = (id: string): NewDocument => ({ id, title: null, format: 'text', metadata: {}, bytes: 1, contentSha256: id });

/** The texts of a document's chunks a search returns (all of the collection's chunks fit in `limit`). */
async function textsOf(documentId: string, s = scope): Promise<string[]> {
  const hits = (await store.search(s, unit(), 200)) ?? [];
  return hits.filter((h) => h.documentId === documentId).map((h) => h.text);
}

async function rowsOf(documentId: string): Promise<{ chunks: number; staged: number; documents: number }> {
  const [r] = await store.sql<{ chunks: string; staged: string; documents: string }[]>`
    SELECT (SELECT count(*) FROM chunks WHERE document_id = ${documentId}) AS chunks,
           (SELECT count(*) FROM staged_versions WHERE document_id = ${documentId}) AS staged,
           (SELECT count(*) FROM documents WHERE id = ${documentId}) AS documents`;
  return { chunks: Number(r!.chunks), staged: Number(r!.staged), documents: Number(r!.documents) };
}

beforeAll(async () => {
  store = await RetrievalStore.open(retrievalConfigSchema.parse({ enabled: true, ingest: { statementChunks: 1 } }), pino({ level: 'silent' }));
  await store.replaceDocument(scope, doc('manual'), chunks(12, 'old'), 0.999);
  await store.replaceDocument(scope, doc('other'), chunks(3, 'other'), 0.999);
});
afterAll(() => store?.close());

describe('versioned replace (embedded Postgres over the wire)', () => {
  it('readers see the old version until the new one is published, never a mix, while it is written statement by statement', async () => {
    expect(await textsOf('manual')).toHaveLength(12);
    const seen: string[][] = [];
    let midway = 0;
    let done = false;
    const reader = (async () => {
      while (!done) {
        seen.push(await textsOf('manual'));
        if ((await rowsOf('manual')).staged > 0) midway++;
      }
    })();
    const r = await store.replaceDocument(scope, doc('manual'), chunks(20, 'new'), 0.999);
    done = true;
    await reader;
    expect(r).toEqual({ stored: 20, duplicatesDropped: 0 });
    // The reader ran between the new version's statements, not only before and after them.
    expect(midway).toBeGreaterThan(2);
    for (const texts of seen) {
      const kinds = new Set(texts.map((t) => t.split(' ')[0]));
      expect(kinds.size, `a reader saw a mix: ${texts.join(',')}`).toBe(1);
      expect(texts.length).toBe(kinds.has('old') ? 12 : 20);
    }
    expect((await textsOf('manual')).every((t) => t.startsWith('new'))).toBe(true);
    // The old version's rows are gone, nothing is left staged.
    expect(await rowsOf('manual')).toEqual({ chunks: 20, staged: 0, documents: 1 });
  });

  it('a replacement that fails half-way leaves the published version whole and no rows of its own', async () => {
    const before = (await textsOf('manual')).sort();
    const bad = [...chunks(5, 'broken'), { seq: 5, text: 'other width', tokens: 2, vector: [1, 0, 0] }, ...chunks(3, 'after')];
    await expect(store.replaceDocument(scope, doc('manual'), bad, 0.999)).rejects.toThrow();
    expect((await textsOf('manual')).sort()).toEqual(before);
    expect(await rowsOf('manual')).toEqual({ chunks: 20, staged: 0, documents: 1 });
  });

  it('a first upload that fails leaves no document, no chunks and no empty collection', async () => {
    const fresh = { tenant: 'acme', collection: 'fresh' };
    const bad = [...chunks(4, 'x'), { seq: 4, text: 'other width', tokens: 2, vector: [1, 0] }];
    await expect(store.replaceDocument(fresh, doc('nuevo'), bad, 0.999)).rejects.toThrow();
    expect(await rowsOf('nuevo')).toEqual({ chunks: 0, staged: 0, documents: 0 });
    expect(await store.collection(fresh)).toBeUndefined();
    // In the collection that exists, an unpublished first upload is invisible while written.
    let listed: string[] = [];
    const writing = store.replaceDocument(scope, doc('later'), chunks(10, 'later'), 0.999);
    while ((await rowsOf('later')).staged === 0) await new Promise((r) => setTimeout(r, 5));
    listed = ((await store.listDocuments(scope)) ?? []).map((d) => d.id);
    expect(listed).not.toContain('later');
    expect(await textsOf('later')).toEqual([]);
    await writing;
    expect(((await store.listDocuments(scope)) ?? []).map((d) => d.id)).toContain('later');
  });

  it('what a writer that died left unpublished is removed by the sweep at start', async () => {
    // A crashed writer's leftovers, as the staging statements leave them.
    const [c] = await store.sql<{ id: string }[]>`SELECT id FROM collections WHERE tenant_id = 'acme' AND name = 'versions'`;
    await store.sql`INSERT INTO documents (collection_id, id, tenant_id, format, content_sha256, bytes, chunks, duplicates_dropped, version) VALUES (${c!.id}, 'crashed', 'acme', 'text', 'x', 1, 0, 0, NULL)`;
    const [v] = await store.sql<{ version: string }[]>`INSERT INTO staged_versions (version, collection_id, document_id) VALUES (nextval('chunk_versions'), ${c!.id}, 'crashed') RETURNING version`;
    await store.sql`INSERT INTO chunks (collection_id, tenant_id, document_id, seq, text, tokens, dims, embedding, version) VALUES (${c!.id}, 'acme', 'crashed', 0, 'half', 1, ${DIMS}, ${`[${unit().join(',')}]`}::vector, ${v!.version})`;
    expect(await rowsOf('crashed')).toEqual({ chunks: 1, staged: 1, documents: 1 });
    // On a shared Postgres only old leftovers go (a replica may be writing this one right now).
    expect(await store.sweepStaged(3600)).toBe(0);
    expect(await store.sweepStaged(0)).toBe(1);
    expect(await rowsOf('crashed')).toEqual({ chunks: 0, staged: 0, documents: 0 });
    expect(await rowsOf('manual')).toEqual({ chunks: 20, staged: 0, documents: 1 });
  });
});

describe('statement scheduler: searches before ingestion', () => {
  it('a search queued behind many ingest statements runs next', async () => {
    const order: string[] = [];
    const ingest = Array.from({ length: 30 }, (_, i) => store.scheduler.run('ingest', async () => {
      await store.sql`SELECT ${i}::int AS i, pg_sleep(0.01)`;
      order.push(`ingest ${i}`);
    }));
    expect(store.scheduler.queued('ingest')).toBe(29);
    const search = store.search(scope, unit(), 5).then(() => order.push('search'));
    await Promise.all([...ingest, search]);
    // Only the statement already running when the search arrived went before it.
    expect(order.indexOf('search'), order.join(', ')).toBe(1);
  });

  it('a search during real uploads waits for at most the one ingest statement already running', async () => {
    const uploads = Promise.all(Array.from({ length: 6 }, (_, i) => store.replaceDocument(scope, doc(`bulk-${i}`), chunks(8, `bulk${i}`), 0.999)));
    let finished = false;
    void uploads.then(() => (finished = true));
    let most = 0;
    let searches = 0;
    let passedBy = 0;
    while (!finished) {
      const queued = store.scheduler.queued('ingest');
      const before = store.scheduler.completed('ingest');
      await store.search(scope, unit(), 5);
      passedBy = Math.max(passedBy, store.scheduler.completed('ingest') - before);
      most = Math.max(most, queued);
      searches++;
    }
    await uploads;
    expect(searches).toBeGreaterThan(3);
    // Five uploads' statements were waiting, yet no search let more than one finish before it.
    expect(most).toBeGreaterThanOrEqual(3);
    expect(passedBy).toBeLessThanOrEqual(1);
  });
});
