/**
 * The upstream body fed by undici's dispatch handler (origin/upstream/dispatch-body.ts), through
 * UpstreamClient as the origin uses it, against a real HTTP server on 127.0.0.1 that counts its
 * connections and sees its sockets close: the connection kept after a complete answer, aborted
 * (the engine told at once) after anything else, backpressure reaching the upstream socket,
 * typed errors for a reset, a silence and a late header, a failure before anyone reads kept for
 * the reader, and the outstanding count back to zero every time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { upstreamSchema } from '../../origin/config/schema.ts';
import type { BodyConsumer } from '../../origin/stream/stream-response.ts';
import { UpstreamClient } from '../../origin/upstream/client.ts';
import { fromNetworkError } from '../../origin/upstream/errors.ts';
import { DispatchBody } from '../../origin/upstream/dispatch-body.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Upstream {
  url: string;
  connections: () => number;
  /** Resolves when a connection the server accepted has closed. */
  closed: () => Promise<void>;
  server: Server;
}

let server: Server | undefined;
let client: UpstreamClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function start(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  let connections = 0;
  const waiting: Array<() => void> = [];
  let closedCount = 0;
  server = createServer(handler);
  server.on('connection', (s: Socket) => {
    connections++;
    s.on('close', () => {
      closedCount++;
      waiting.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    closed: () => (closedCount > 0 ? Promise.resolve() : new Promise<void>((r) => waiting.push(r))),
    server,
  };
}

function upstreamClient(url: string, over: Record<string, unknown> = {}): UpstreamClient {
  client = new UpstreamClient(upstreamSchema.parse({ name: 'engine', url, ...over }));
  return client;
}

/** Records what the body hands over; `onData` runs after each read is recorded. */
function recorder(onData?: (text: string) => void): BodyConsumer & { text: string; reads: number; ended: Promise<void>; failed: Promise<unknown> } {
  let end!: () => void;
  let fail!: (e: unknown) => void;
  const r = {
    text: '',
    reads: 0,
    ended: new Promise<void>((res) => (end = res)),
    failed: new Promise<unknown>((res) => (fail = res)),
    data(chunk: Uint8Array) {
      r.reads++;
      r.text += Buffer.from(chunk).toString();
      onData?.(r.text);
    },
    end: () => end(),
    error: (e: unknown) => fail(e),
  };
  return r;
}

const DONE = '{"message":{"content":"a"},"done":false}\n{"done":true}\n';

/** An engine writing `total` pieces as fast as its socket takes them; it records when a write backs up. */
function floodingEngine(total: number, piece: (n: number) => string) {
  const state = { written: 0, backedUp: false };
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const more = () => {
      while (state.written < total) {
        state.written++;
        if (!res.write(piece(state.written))) {
          state.backedUp = true;
          res.once('drain', more);
          return;
        }
      }
      res.end();
    };
    more();
  };
  return { state, handler };
}

describe('the dispatch-fed upstream body', () => {
  it('keeps the pooled connection after a complete answer (the terminator is read) and none outstanding', async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(DONE);
      // The terminator comes a moment after the done line, as from an engine.
      setTimeout(() => res.end(), 20).unref();
    });
    const c = upstreamClient(up.url);
    for (let i = 0; i < 3; i++) {
      const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
      await new Promise<void>((done) => {
        res.body.consume(
          recorder((text) => {
            if (!text.includes('"done":true')) return;
            res.body.close(true);
            done();
          }),
        );
      });
      await sleep(60);
      expect(c.outstanding).toBe(0);
    }
    expect(up.connections()).toBe(1);
  });

  it('closes the connection after a stream that did not finish: the upstream sees its socket close at once', async () => {
    let writes = 0;
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // A generation that goes on: a token every 10 ms.
      const t = setInterval(() => {
        writes++;
        res.write('{"message":{"content":"a"},"done":false}\n');
      }, 10);
      res.on('close', () => clearInterval(t));
    });
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    const r = recorder();
    res.body.consume(r);
    await sleep(50);
    expect(r.reads).toBeGreaterThan(0);
    res.body.close(false);
    await up.closed();
    const after = writes;
    await sleep(50);
    expect(writes).toBe(after);
    expect(c.outstanding).toBe(0);
    // The next request needs a new connection.
    const again = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    again.body.destroy();
    expect(up.connections()).toBe(2);
  });

  it('letting go of an unfinished stream traces no stack: the socket undici destroys formats none', async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"message":{"content":"a"},"done":false}\n');
    });
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    const r = recorder();
    res.body.consume(r);
    // Mid-stream: the first line has come, the rest never will.
    await expect.poll(() => r.reads).toBeGreaterThan(0);
    // Node reads the stack of the error a socket is destroyed with: every frame of it would be
    // formatted (and source-mapped, as the origin runs), for an error nobody reads.
    const framesFormatted: number[] = [];
    const format = Error.prepareStackTrace;
    Error.prepareStackTrace = (err: Error, frames: NodeJS.CallSite[]) => {
      // undici's own (the test's server formats its own 'aborted' for the request it lost).
      if (err.name === 'InformationalError') framesFormatted.push(frames.length);
      return format ? format(err, frames) : String(err);
    };
    try {
      res.body.destroy(new Error('client disconnected'));
      await up.closed();
    } finally {
      Error.prepareStackTrace = format;
    }
    expect(framesFormatted.length).toBeGreaterThan(0);
    expect(framesFormatted.every((n) => n === 0)).toBe(true);
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    expect(c.outstanding).toBe(0);
  });

  it('the request signal (the client gone) aborts the upstream mid-body and fails the body with its reason', async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"message":{"content":"a"},"done":false}\n');
    });
    const c = upstreamClient(up.url);
    const ac = new AbortController();
    const res = await c.open('POST', '/api/chat', '{}', ac.signal);
    const r = recorder();
    res.body.consume(r);
    await sleep(20);
    const reason = new Error('client disconnected');
    ac.abort(reason);
    expect(await r.failed).toBe(reason);
    await up.closed();
    expect(c.outstanding).toBe(0);
  });

  it('drops the connection when the terminator does not come within the grace second', async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(DONE);
    });
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    await new Promise<void>((done) =>
      res.body.consume(
        recorder((text) => {
          if (text.includes('"done":true')) {
            res.body.close(true);
            done();
          }
        }),
      ),
    );
    const t0 = Date.now();
    await up.closed();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(c.outstanding).toBe(0);
  });

  it('a paused body stops reading the upstream socket (the engine\'s writes back up) and resumes where it was', async () => {
    const piece = 'x'.repeat(64 * 1024);
    const total = 256;
    const engine = floodingEngine(total, () => piece);
    const up = await start(engine.handler);
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    let received = 0;
    let body!: DispatchBody;
    const ended = new Promise<void>((done) => {
      body = res.body;
      body.consume({
        data(chunk) {
          received += chunk.byteLength;
          // Paused from inside the read, as the relay does when the client's buffer is full.
          if (received === chunk.byteLength) body.pause();
        },
        end: () => done(),
        error: (e) => {
          throw e;
        },
      });
    });
    await sleep(200);
    const whilePaused = received;
    expect(engine.state.backedUp).toBe(true);
    expect(engine.state.written).toBeLessThan(total);
    await sleep(100);
    expect(received).toBe(whilePaused);
    body.resume();
    await ended;
    expect(received).toBe(piece.length * total);
    expect(c.outstanding).toBe(0);
  });

  it('before its reader comes, a body keeps what came with the headers, backs the upstream up past a bound, and hands all of it over in order', async () => {
    // Small reads that come with the headers are kept without pausing the parser.
    const small = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('head,and,first,reads');
    });
    const c1 = upstreamClient(small.url);
    const early = await c1.open('POST', '/api/chat', '{}', new AbortController().signal);
    await sleep(50);
    const r1 = recorder();
    early.body.consume(r1);
    await r1.ended;
    expect(r1.text).toBe('head,and,first,reads');
    await c1.close();
    small.server.closeAllConnections();
    small.server.close();

    // An upstream that writes much more before anyone reads: its writes back up, nothing is lost.
    const piece = 'y'.repeat(64 * 1024);
    const total = 256;
    const engine = floodingEngine(total, (n) => `${String(n).padStart(8, '0')}${piece}`);
    const big = await start(engine.handler);
    const c2 = upstreamClient(big.url);
    const late = await c2.open('POST', '/api/chat', '{}', new AbortController().signal);
    await sleep(200);
    expect(engine.state.backedUp).toBe(true);
    expect(engine.state.written).toBeLessThan(total);
    const r2 = recorder();
    late.body.consume(r2);
    await r2.ended;
    expect(r2.text.length).toBe((piece.length + 8) * total);
    for (let i = 0; i < total; i += 37) expect(r2.text.slice(i * (piece.length + 8), i * (piece.length + 8) + 8)).toBe(String(i + 1).padStart(8, '0'));
    expect(c2.outstanding).toBe(0);
  });

  it('a pause asked between reads holds the one read undici was parsing, and hands it over on resume', async () => {
    let push!: (s: string) => void;
    let finish!: () => void;
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      push = (s) => res.write(s);
      finish = () => res.end();
    });
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    const r = recorder();
    res.body.consume(r);
    push('one,');
    await sleep(30);
    res.body.pause();
    push('two,');
    finish();
    await sleep(30);
    expect(r.text).toBe('one,');
    res.body.resume();
    await r.ended;
    expect(r.text).toBe('one,two,');
  });

  it('an upstream reset mid-body reaches the reader as the same typed error (upstream_reset)', async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"message":{"content":"a"},"done":false}\n');
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
    });
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    const r = recorder();
    res.body.consume(r);
    const err = await r.failed;
    expect(r.text).toContain('"content":"a"');
    expect(fromNetworkError(err, 'engine', 'body')).toMatchObject({ code: 'upstream_reset', status: 502 });
    expect(c.outstanding).toBe(0);
  });

  it('a failure before anyone reads is kept and handed to the reader when it comes', async () => {
    const up = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.flushHeaders();
      setTimeout(() => res.socket?.resetAndDestroy(), 10);
    });
    const c = upstreamClient(up.url);
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    await up.closed();
    await sleep(20);
    expect(c.outstanding).toBe(0);
    const r = recorder();
    res.body.consume(r);
    expect(fromNetworkError(await r.failed, 'engine', 'body')).toMatchObject({ code: 'upstream_reset' });
  });

  it('a silence between bytes is upstream_idle_timeout; no first byte in time is upstream_first_byte_timeout', async () => {
    const up = await start((req, res) => {
      if (req.url === '/late') return; // never answers
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"message":{"content":"a"},"done":false}\n');
    });
    const c = upstreamClient(up.url, { idleTimeoutMs: 100, firstByteTimeoutMs: 100 });
    const res = await c.open('POST', '/api/chat', '{}', new AbortController().signal);
    const r = recorder();
    res.body.consume(r);
    expect(fromNetworkError(await r.failed, 'engine', 'body', 100)).toMatchObject({ code: 'upstream_idle_timeout', status: 502 });
    await expect(c.open('POST', '/late', '{}', new AbortController().signal)).rejects.toMatchObject({ code: 'upstream_first_byte_timeout', status: 503 });
    expect(c.outstanding).toBe(0);
  });

  it('whole answers: json, text (a byte-order mark dropped), a non-2xx answer as the engine\'s error', async () => {
    const up = await start((req, res) => {
      if (req.url === '/json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"models":[{"na');
        setTimeout(() => res.end('me":"m"}]}'), 10);
      } else if (req.url === '/text') {
        res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"model \\"nope\\" not found"}');
      }
    });
    const c = upstreamClient(up.url);
    expect(await c.json('GET', '/json', undefined, new AbortController().signal)).toEqual({ models: [{ name: 'm' }] });
    // undici hands a finished connection to the next request a tick after the answer's end.
    await sleep(20);
    const t = await c.open('GET', '/text', undefined, new AbortController().signal);
    expect(await t.body.text()).toBe('héllo');
    await sleep(20);
    await expect(c.open('POST', '/api/chat', '{}', new AbortController().signal)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await sleep(20);
    await expect(c.open('POST', '/api/chat', '{}', new AbortController().signal, 'nope')).rejects.toMatchObject({ code: 'model_not_found' });
    expect(c.outstanding).toBe(0);
    // All of it over one connection: every whole answer was read to its end.
    expect(up.connections()).toBe(1);
  });

  it('an engine behind a path prefix gets every request under it (the configured URL\'s path, trailing slash or not)', async () => {
    const paths: string[] = [];
    const up = await start((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    for (const prefix of ['/engine', '/engine/']) {
      const c = upstreamClient(`${up.url}${prefix}`);
      await c.json('GET', '/api/tags', undefined, new AbortController().signal);
      await c.close();
      client = undefined;
    }
    expect(paths).toEqual(['/engine/api/tags', '/engine/api/tags']);
  });

  it('a signal already aborted, or aborted while connecting, fails the open with its reason and leaves nothing outstanding', async () => {
    const up = await start((_req, res) => res.end('{}'));
    const c = upstreamClient(up.url);
    const gone = new AbortController();
    const why = new Error('client gone');
    gone.abort(why);
    await expect(c.open('POST', '/api/chat', '{}', gone.signal)).rejects.toBe(why);
    const mid = new AbortController();
    const opening = c.open('POST', '/api/chat', '{}', mid.signal);
    mid.abort(why);
    await expect(opening).rejects.toBe(why);
    expect(c.outstanding).toBe(0);
  });

  it('lets go of the raw header Buffers once the headers are parsed: the controller lives as long as the stream', async () => {
    let opened: unknown;
    const body = new DispatchBody(new AbortController().signal, () => {}, (r) => (opened = r), () => {});
    const controller = { aborted: false, paused: false, reason: null, rawHeaders: [Buffer.from('content-type'), Buffer.from('application/x-ndjson')] as Buffer[] | null, abort() {}, pause() {}, resume() {} };
    body.onRequestStart(controller);
    body.onResponseStart(controller, 200, { 'content-type': 'application/x-ndjson' });
    expect(controller.rawHeaders).toBeNull();
    expect(opened).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/x-ndjson' } });
  });
});
