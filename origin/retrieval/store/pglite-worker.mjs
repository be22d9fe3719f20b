// The embedded Postgres (PGlite + pgvector) in a worker thread, served over the wire protocol on
// a loopback port. PGlite runs wasm on the thread that calls it: on the origin's own thread an
// HNSW insert or search would stall every stream for its duration. Plain JavaScript, so the same
// file runs under tsx, vitest and the built origin (scripts/build.sh copies it beside main.js).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { ExchangeQueue } from './pglite-exchanges.mjs';

const db = await PGlite.create({ ...(workerData.dataDir ? { dataDir: workerData.dataDir } : {}), extensions: { vector } });
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
// Several connections share PGlite's one session: each holds it for a whole exchange, and a dead
// one's leftovers are undone (pglite-exchanges.mjs says why the library's own queue is replaced).
// The server hands this queue to every connection's handler it creates.
if (!('queryQueue' in server)) throw new Error('@electric-sql/pglite-socket no longer keeps its query queue in `queryQueue`: see pglite-exchanges.mjs');
server.queryQueue = new ExchangeQueue(db);
await server.start();
parentPort.on('message', async (m) => {
  if (m !== 'close') return;
  await server.stop();
  await db.close();
  parentPort.postMessage({ closed: true });
});
parentPort.postMessage({ conn: server.getServerConn() });
