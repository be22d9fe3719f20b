import net from 'node:net';

/**
 * A TCP proxy that delivers the upstream's response one byte per write, with a pause between
 * writes, so the origin reads every multi-byte character and NDJSON line split across reads.
 */
export async function startChunkingProxy(target: { host: string; port: number }, pauseMs = 1): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.setNoDelay(true);
    sockets.add(client).add(upstream);
    const queue: number[] = [];
    let draining = false;
    const drain = () => {
      if (client.destroyed) return;
      const b = queue.shift();
      if (b === undefined) {
        draining = false;
        if (upstream.readableEnded) client.end();
        return;
      }
      client.write(Buffer.of(b));
      if (pauseMs > 0) setTimeout(drain, pauseMs);
      else setImmediate(drain);
    };
    upstream.on('data', (chunk: Buffer) => {
      for (const b of chunk) queue.push(b);
      if (!draining) {
        draining = true;
        drain();
      }
    });
    upstream.on('end', () => {
      if (!draining) client.end();
    });
    client.pipe(upstream);
    const cleanup = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', cleanup).on('error', cleanup);
    upstream.on('close', () => {
      if (!draining) cleanup();
    }).on('error', cleanup);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
