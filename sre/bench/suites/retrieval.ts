/**
 * `npm run bench:retrieval`: vector search latency on the embedded Postgres (PGlite + pgvector,
 * reached over the wire by the same driver and SQL as production), at 10k and 100k chunks.
 * Vectors are generated directly (clustered unit vectors; no engine) and bulk-loaded through
 * RetrievalStore.importDocument, 1,000 rows per statement; the HNSW cosine index is built after
 * the load (faster than growing the graph row by row, as pgvector advises) and the statistics
 * refreshed; then `--queries` searches run one after another through RetrievalStore.search, the
 * call a RAG alias makes. Prints load and build time and search p50/p99 for each size.
 *
 *   npm run bench:retrieval -- [--sizes 10000,100000] [--dims 128] [--queries 200] [--k 20]
 */
import pino from 'pino';
import { retrievalConfigSchema } from '../../../origin/retrieval/config.ts';
import { RetrievalStore } from '../../../origin/retrieval/store/store.ts';
import { percentile, printTable, sortedCopy } from '../lib/stats.ts';
import { mulberry32 } from '../../../sim/text.ts';
import { cliArgs } from '../../../shared/cli.ts';

const USAGE = `usage: npm run bench:retrieval -- [flags]

  vector search p50/p99 on the embedded Postgres (PGlite + pgvector) at each size

  --sizes LIST     chunks in the index (default 10000,100000)
  --dims N         vector dimensions (default 128)
  --queries N      searches per size (default 200)
  --k N            results per search (default 20)
  --help           this text`;

const { values } = cliArgs({
  name: 'bench:retrieval',
  usage: USAGE,
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    dims: { type: 'string', default: '128' },
    queries: { type: 'string', default: '200' },
    k: { type: 'string', default: '20' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const DIMS = Number(values.dims);
const QUERIES = Number(values.queries);
const K = Number(values.k);
const CLUSTERS = 200;

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/** Topics as cluster centres; a chunk is a centre plus noise, as real embeddings cluster by topic. */
function makeCentres(rand: () => number): Float32Array[] {
  return Array.from({ length: CLUSTERS }, () => unit(Float32Array.from({ length: DIMS }, () => rand() * 2 - 1)));
}

function near(c: Float32Array, rand: () => number, noise: number): Float32Array {
  return unit(Float32Array.from(c, (x) => x + (rand() * 2 - 1) * noise));
}

/** Bulk load through the store: one transaction of `perDoc` rows per document, no index yet. */
async function fill(store: RetrievalStore, collection: string, n: number, centres: Float32Array[], rand: () => number): Promise<number> {
  const t0 = performance.now();
  const perDoc = 1_000;
  for (let d = 0; d * perDoc < n; d++) {
    const count = Math.min(perDoc, n - d * perDoc);
    const chunks = Array.from({ length: count }, (_, i) => ({ seq: i, text: `chunk ${i}`, tokens: 200, vector: near(centres[(d * perDoc + i) % CLUSTERS]!, rand, 0.6) }));
    await store.importDocument({ tenant: 'bench', collection }, { id: `doc-${d}`, title: null, format: 'text', metadata: {}, bytes: 0, contentSha256: '' }, chunks);
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`retrieval: embedded Postgres (PGlite + pgvector over the wire), ${DIMS}-dim vectors in ${CLUSTERS} clusters, HNSW cosine (m 16, ef_construction 64, ef_search 40), ${QUERIES} searches of k=${K} per size`);
  const rows: Array<Array<string | number>> = [];
  for (const n of SIZES) {
    // A fresh database per size: the figures of one size do not carry the other's pages.
    const cfg = retrievalConfigSchema.parse({ enabled: true });
    const store = await RetrievalStore.open(cfg, pino({ level: 'silent' }));
    try {
      const rand = mulberry32(n);
      const centres = makeCentres(rand);
      const insertMs = await fill(store, `c${n}`, n, centres, rand);
      const b0 = performance.now();
      // Built after the data, as pgvector recommends for bulk loads (what store.search would do lazily).
      await store.sql.unsafe(`SET maintenance_work_mem = '512MB'`).catch(() => undefined);
      await store.createIndex(DIMS);
      const buildMs = performance.now() - b0;
      const lat: number[] = [];
      for (let q = 0; q < QUERIES + 10; q++) {
        const query = near(centres[Math.floor(rand() * CLUSTERS)]!, rand, 0.6);
        const s0 = performance.now();
        const hits = await store.search({ tenant: 'bench', collection: `c${n}` }, query, K);
        if (q >= 10) lat.push(performance.now() - s0); // the first few warm the caches
        if (!hits || hits.length === 0) throw new Error('a search found nothing');
      }
      const plan = await store.sql.unsafe(`EXPLAIN SELECT id FROM chunks WHERE dims = ${DIMS} ORDER BY embedding::vector(${DIMS}) <=> (SELECT embedding FROM chunks LIMIT 1)::vector(${DIMS}) LIMIT ${K}`);
      const usesIndex = plan.some((r) => String(Object.values(r)[0]).includes(`chunks_hnsw_${DIMS}`));
      const t = sortedCopy(lat);
      rows.push([n, `${(insertMs / 1000).toFixed(1)} s`, `${(buildMs / 1000).toFixed(1)} s`, usesIndex ? 'yes' : 'no', percentile(t, 50).toFixed(2), percentile(t, 99).toFixed(2)]);
      // Each size's figures as soon as they exist: a run stopped during the next size keeps them.
      console.log(`  ${n} chunks: insert ${rows.at(-1)![1]}, HNSW build ${rows.at(-1)![2]}, search p50 ${rows.at(-1)![4]} ms, p99 ${rows.at(-1)![5]} ms`);
    } finally {
      await store.close();
    }
  }
  console.log('');
  printTable(['chunks', 'insert', 'HNSW build', 'plan uses HNSW', 'search p50 ms', 'search p99 ms'], rows);
  console.log(`\nwall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
