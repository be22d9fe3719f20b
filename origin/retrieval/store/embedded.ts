import { Worker } from 'node:worker_threads';

export interface EmbeddedPostgres {
  /** postgres://… on loopback: the same driver code as for a real Postgres. */
  url: string;
  close(): Promise<void>;
}

/**
 * PGlite (Postgres compiled to wasm) with pgvector, in its own worker thread (pglite-worker.mjs),
 * served over the Postgres wire protocol on a loopback port the OS picks. In memory unless
 * `dataDir` is given.
 */
export function startEmbeddedPostgres(opts: { dataDir?: string | undefined; maxConnections: number }): Promise<EmbeddedPostgres> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir: opts.dataDir, maxConnections: opts.maxConnections } });
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => reject(new Error(`embedded Postgres did not start: ${(err as Error).message ?? String(err)}`, { cause: err }));
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`its worker exited with code ${code}`)));
    worker.once('message', (m: { conn: string }) => {
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
      const [host, port] = m.conn.split(':');
      resolve({
        url: `postgres://postgres@${host}:${port}/postgres`,
        close: () =>
          new Promise<void>((done) => {
            // Stopped in order (socket, then the database's files); ended anyway if it hangs.
            const timer = setTimeout(() => void worker.terminate().then(() => done()), 10_000);
            worker.once('message', () => {
              clearTimeout(timer);
              void worker.terminate().then(() => done());
            });
            worker.postMessage('close');
          }),
      });
    });
  });
}
