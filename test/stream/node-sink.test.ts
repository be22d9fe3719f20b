/**
 * The Node adapter's sink on a real HTTP server and socket: the head goes out only when the app
 * has answered (with the headers middleware set after the handler), frames written before that
 * follow it, a slow reader makes writes report a full buffer until it reads, a client that
 * closes the connection is reported gone, and abort drops the connection.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeResponseSink } from '../../origin/node/response-sink.ts';
import type { SinkEvents } from '../../origin/stream/sink.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A server whose one request hands its response to the test; the client's response is returned. */
async function serveOnce(): Promise<{ out: Promise<ServerResponse>; res: Promise<IncomingMessage>; abortClient: () => void }> {
  let give!: (r: ServerResponse) => void;
  const out = new Promise<ServerResponse>((r) => (give = r));
  server = createServer((_req, res) => give(res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/' });
  const res = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  // A test that ends the connection itself reads the rejection where it wants it.
  res.catch(() => {});
  req.end();
  return { out, res, abortClient: () => req.destroy() };
}

/** Writes that reach the socket's handle (one syscall each): Writable's _write/_writev. */
function countWrites(out: ServerResponse): { n: number } {
  const sock = out.socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const counter = { n: 0 };
  for (const k of ['_write', '_writev'] as const) {
    const orig = sock[k].bind(sock);
    sock[k] = (...a: unknown[]) => {
      counter.n++;
      orig(...a);
    };
  }
  return counter;
}

const enc = (t: string) => new TextEncoder().encode(t);

/** A server whose requests' responses collect in `outs`, and a raw socket to it that keeps every byte it reads. */
async function rawClient(): Promise<{ outs: ServerResponse[]; sock: Socket; raw: () => string }> {
  const outs: ServerResponse[] = [];
  server = createServer((_req, res) => outs.push(res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const sock = connect(port, '127.0.0.1');
  let raw = '';
  sock.on('data', (d) => (raw += d.toString('latin1')));
  return { outs, sock, raw: () => raw };
}

function events(): SinkEvents & { drains: number; gones: number } {
  const e = {
    drains: 0,
    gones: 0,
    drain: () => void e.drains++,
    gone: () => void e.gones++,
  };
  return e;
}

describe('NodeResponseSink', () => {
  it('writes the head with the final headers only at takeOver, then the frames written before it', async () => {
    const s = await serveOnce();
    const ev = events();
    const sink = new NodeResponseSink(await s.out, ev);
    const response = sink.open(200, { 'content-type': 'text/event-stream' });
    expect(sink.write(new TextEncoder().encode('data: 1\n\n'))).toBe(true);
    // What middleware does after the handler returned.
    response.headers.set('x-request-id', 'req-1');
    response.headers.set('server-timing', 'total;dur=1');
    const sent = sink.takeOver(response);
    expect(sent.headers.get('x-hono-already-sent')).toBeTruthy();
    sink.write(new TextEncoder().encode('data: 2\n\n'));
    sink.end();
    const res = await s.res;
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(res.headers['server-timing']).toBe('total;dur=1');
    expect(res.headers['content-type']).toBe('text/event-stream');
    let body = '';
    for await (const c of res) body += c;
    expect(body).toBe('data: 1\n\ndata: 2\n\n');
    expect(ev.gones).toBe(0);
  });

  it('sends the head with the first frame written in the same turn, and on its own when none comes', async () => {
    const a = await serveOnce();
    const outA = await a.out;
    const writesA = countWrites(outA);
    const sinkA = new NodeResponseSink(outA, events());
    sinkA.takeOver(sinkA.open(200, { 'content-type': 'text/event-stream' }));
    sinkA.write(new TextEncoder().encode('data: 1\n\n'));
    const resA = await a.res;
    expect(resA.statusCode).toBe(200);
    expect(writesA.n).toBe(1);
    sinkA.end();
    server?.closeAllConnections();
    server?.close();

    const b = await serveOnce();
    const outB = await b.out;
    const writesB = countWrites(outB);
    const sinkB = new NodeResponseSink(outB, events());
    sinkB.takeOver(sinkB.open(200, { 'content-type': 'text/event-stream' }));
    // No frame: the client still gets the status and headers before any token.
    const resB = await b.res;
    expect(resB.statusCode).toBe(200);
    expect(writesB.n).toBe(1);
    sinkB.end();
  });

  it('reports a full buffer to a client that does not read, and drains when it does', async () => {
    const s = await serveOnce();
    const ev = events();
    const sink = new NodeResponseSink(await s.out, ev);
    sink.takeOver(sink.open(200, { 'content-type': 'application/x-ndjson' }));
    const res = await s.res;
    res.pause();
    const frame = new Uint8Array(64 * 1024).fill(0x61);
    let writes = 0;
    while (sink.write(frame) && writes < 2_000) writes++;
    // Loopback buffers some megabytes, then Node's own buffer fills: write says so.
    expect(writes).toBeLessThan(2_000);
    expect(ev.drains).toBe(0);
    res.resume();
    res.on('data', () => {});
    for (let i = 0; i < 100 && ev.drains === 0; i++) await sleep(10);
    expect(ev.drains).toBeGreaterThan(0);
    sink.end();
  });

  it('tells the stream its client is gone when the connection closes, and abort drops it', async () => {
    const s = await serveOnce();
    const ev = events();
    const out = await s.out;
    const sink = new NodeResponseSink(out, ev);
    sink.takeOver(sink.open(200, {}));
    await s.res;
    s.abortClient();
    for (let i = 0; i < 100 && ev.gones === 0; i++) await sleep(10);
    expect(ev.gones).toBe(1);
    // Writes after the client left are dropped quietly.
    expect(sink.write(new Uint8Array(1))).toBe(true);
  });

  it('abort drops the connection of a client that stopped reading', async () => {
    const s = await serveOnce();
    const sink = new NodeResponseSink(await s.out, events());
    sink.takeOver(sink.open(200, {}));
    const res = await s.res;
    sink.write(new TextEncoder().encode('data: 1\n\n'));
    sink.abort();
    const outcome = await new Promise<string>((resolve) => {
      res.on('data', () => {});
      res.on('end', () => resolve('ended cleanly'));
      res.on('error', () => resolve('dropped'));
      res.on('aborted', () => resolve('dropped'));
    });
    expect(outcome).toBe('dropped');
  });

  it('a stream the app did not answer with (it failed after committing) is reported gone; the app answer is sent', async () => {
    const s = await serveOnce();
    const ev = events();
    const sink = new NodeResponseSink(await s.out, ev);
    sink.open(200, {});
    const other = new Response('{"error":"x"}', { status: 500 });
    expect(sink.takeOver(other)).toBe(other);
    expect(ev.gones).toBe(1);
  });

  it('after the head, each frame is one write of one HTTP chunk; an empty frame never ends the body; sizes past the copy limit arrive whole', async () => {
    const s = await serveOnce();
    const out = await s.out;
    const sink = new NodeResponseSink(out, events());
    sink.takeOver(sink.open(200, { 'content-type': 'text/event-stream' }));
    sink.write(enc('data: 0\n\n'));
    const res = await s.res;
    const writes = countWrites(out);
    const sent = ['data: 0\n\n'];
    for (let i = 1; i <= 300; i++) {
      const f = `data: ${'x'.repeat(i * 7)}\n\n`;
      sent.push(f);
      sink.write(enc(f));
      sink.write(new Uint8Array(0));
    }
    expect(writes.n).toBe(300);
    const big = 'y'.repeat(20_000);
    sink.write(enc(big));
    sent.push(big);
    sink.end();
    let body = '';
    for await (const c of res) body += c;
    expect(body).toBe(sent.join(''));
  });

  it('a frame for a client whose end came (the connection ended, its close not yet told) is dropped without an error', async () => {
    const c = await rawClient();
    c.sock.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await expect.poll(() => c.outs.length).toBe(1);
    const out = c.outs[0]!;
    const ev = events();
    const sink = new NodeResponseSink(out, ev);
    sink.takeOver(sink.open(200, { 'content-type': 'text/event-stream' }));
    sink.write(enc('data: 0\n\n'));
    await expect.poll(() => c.raw()).toContain('data: 0');
    const errors: Error[] = [];
    const conn = out.socket!;
    conn.on('error', (e) => errors.push(e));
    // What Node does when the client's end arrives: it ends the connection; the response's
    // 'close' comes only once the socket has closed. A token relayed in between:
    conn.end();
    expect(sink.write(enc('data: 1\n\n'))).toBe(true);
    await expect.poll(() => ev.gones).toBe(1);
    expect(errors).toEqual([]);
    expect(c.raw()).not.toContain('data: 1');
  });

  it('a keep-alive connection serves the next request after a stream: its writes and drains are not the old stream\'s', async () => {
    const { outs, sock, raw } = await rawClient();
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await sleep(10);
    };
    const ev1 = events();
    sock.write('GET /1 HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => outs.length === 1);
    const first = new NodeResponseSink(outs[0]!, ev1);
    first.takeOver(first.open(200, { 'content-type': 'text/event-stream' }));
    first.write(enc('data: a\n\n'));
    first.write(enc('data: b\n\n'));
    first.end();
    await waitFor(() => raw().includes('0\r\n\r\n'));
    sock.write('GET /2 HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => outs.length === 2);
    const ev2 = events();
    const second = new NodeResponseSink(outs[1]!, ev2);
    second.takeOver(second.open(200, { 'content-type': 'text/event-stream' }));
    second.write(enc('data: c\n\n'));
    second.write(enc('data: d\n\n'));
    second.end();
    await waitFor(() => raw().split('0\r\n\r\n').length === 3);
    sock.destroy();
    const bodies = raw().split('HTTP/1.1 200 OK').slice(1).map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
    expect(bodies).toEqual(['9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n', '9\r\ndata: c\n\n\r\n9\r\ndata: d\n\n\r\n0\r\n\r\n']);
    expect(ev1.gones + ev2.gones).toBe(0);
    expect(outs[0]!.socket === null || outs[0]!.socket.listenerCount('drain') <= 1).toBe(true);
  });

  it('an HTTP/1.0 client (no chunked framing) gets the frames through the response, unframed, until the connection closes', async () => {
    const { outs, sock, raw } = await rawClient();
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write('GET / HTTP/1.0\r\n\r\n');
    for (let i = 0; i < 200 && outs.length === 0; i++) await sleep(10);
    const sink = new NodeResponseSink(outs[0]!, events());
    sink.takeOver(sink.open(200, { 'content-type': 'text/event-stream' }));
    sink.write(enc('data: a\n\n'));
    sink.write(enc('data: b\n\n'));
    sink.end();
    await closed;
    expect(raw().startsWith('HTTP/1.1 200')).toBe(true);
    expect(raw().toLowerCase()).not.toContain('transfer-encoding');
    expect(raw().slice(raw().indexOf('\r\n\r\n') + 4)).toBe('data: a\n\ndata: b\n\n');
  });
});
