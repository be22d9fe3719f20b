import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** postgres://… on loopback: the same driver code as for a real Postgres. */
  url: string;
  close(): Promise<void>;
}

/**
 * PGlite (Postgres compiled to wasm) with pgvector, served over the Postgres wire protocol on a
 * loopback port the OS picks. In memory unless `dataDir` is given.
 */
export async function startEmbeddedPostgres(opts: { dataDir?: string | undefined; maxConnections: number }): Promise<EmbeddedPostgres> {
  const db = await PGlite.create({ ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: opts.maxConnections });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const [host, port] = server.getServerConn().split(':');
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
