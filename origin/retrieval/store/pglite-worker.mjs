// The embedded Postgres (PGlite + pgvector) in a worker thread, served over the wire protocol on
// a loopback port. PGlite runs wasm on the thread that calls it: on the origin's own thread an
// HNSW insert or search would stall every stream for its duration. Plain JavaScript, so the same
// file runs under tsx, vitest and the built origin (scripts/build.sh copies it beside main.js).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const db = await PGlite.create({ ...(workerData.dataDir ? { dataDir: workerData.dataDir } : {}), extensions: { vector } });
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
await server.start();
parentPort.on('message', async (m) => {
  if (m !== 'close') return;
  await server.stop();
  await db.close();
  parentPort.postMessage({ closed: true });
});
parentPort.postMessage({ conn: server.getServerConn() });
