/**
 * After a complete answer the upstream connection is kept for the next request (the body's
 * terminator is read, not aborted); after a cut-off stream it is closed, which stops the
 * engine's generation. A real HTTP server counts the connections.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { closeBody } from '../../origin/upstream/client.ts';

let server: Server | undefined;
let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close();
  server?.closeAllConnections();
  server?.close();
});

async function start(tailMs = 20): Promise<{ connections: () => number; url: string }> {
  let connections = 0;
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write('{"message":{"content":"a"},"done":false}\n{"done":true}\n');
    // The terminator comes a moment after the done line, as from an engine.
    setTimeout(() => res.end(), tailMs).unref();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { connections: () => connections, url: `http://127.0.0.1:${port}` };
}

/** Reads until the done line, as the relay does, then lets go of the body. */
async function streamOnce(p: Pool, answered: boolean): Promise<void> {
  const res = await p.request({ method: 'POST', path: '/api/chat', body: '{}' });
  await new Promise<void>((resolve) => {
    const onData = (c: Buffer) => {
      if (!c.toString().includes('"done":true')) return;
      res.body.off('data', onData);
      closeBody(res.body, answered);
      resolve();
    };
    res.body.on('data', onData);
    // As the relay's own listener does: an aborted body reports its abort here.
    res.body.on('error', () => {});
  });
}

describe('closeBody', () => {
  it('keeps the connection after a complete answer', async () => {
    const s = await start();
    pool = new Pool(s.url, { connections: 1, pipelining: 1 });
    await streamOnce(pool, true);
    await streamOnce(pool, true);
    await streamOnce(pool, true);
    expect(s.connections()).toBe(1);
  });

  it('closes it after a stream that did not finish', async () => {
    const s = await start();
    pool = new Pool(s.url, { connections: 1, pipelining: 1 });
    await streamOnce(pool, false);
    await streamOnce(pool, false);
    expect(s.connections()).toBe(2);
  });

  it('drops the connection when the terminator does not come within the grace second', async () => {
    const s = await start(60_000);
    pool = new Pool(s.url, { connections: 1, pipelining: 1 });
    const t0 = Date.now();
    await streamOnce(pool, true);
    // The next request waits for the one connection; it gets a new one once the grace is over.
    await streamOnce(pool, true);
    expect(s.connections()).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });
});
