/**
 * The least a Node process can do to relay a stream, as a benchmark baseline: node:http in, one
 * keep-alive upstream request out, every upstream read written to the client as it comes. No
 * routing, validation, auth or translation: what the runtime itself costs per relayed chunk and
 * per open stream, so the origin's figures split into the runtime's share and Puerta's.
 *
 *   node --import tsx sre/bench/lib/bare-relay.ts <upstream base URL> <kind>
 * kind: tcp | http | http-raw | undici | undici-raw | dispatch (sre/README.md says what each is); prints
 * `BARE_URL <url>` once listening.
 */
import { createServer, request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { writeChunk } from '../../../origin/node/chunked-write.ts';
import { BENCH_LISTEN_BACKLOG } from './processes.ts';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:11434');
const kind = process.argv[3] ?? 'http';
const undiciAgent = new Agent({ connections: 100_000, headersTimeout: 0, bodyTimeout: 0 });
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: Infinity });

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.once('end', () => resolve(Buffer.concat(parts)));
    req.once('error', reject);
  });
}

/** After the head: the chunk as one pre-framed HTTP chunk on the socket, as the origin writes it. */
function writeFramed(res: ServerResponse, socket: Socket | null, chunk: Buffer): void {
  if (socket) writeChunk(socket, chunk);
  else res.write(chunk);
}

/** undici's body Readable; `preFramed`: each read written to the socket as one pre-framed HTTP chunk, else through res.write. */
async function viaUndici(req: IncomingMessage, res: ServerResponse, body: Buffer, preFramed: boolean): Promise<void> {
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  const up = await request(new URL(req.url!, upstream), { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: undiciAgent, signal: ac.signal });
  res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'text/event-stream') });
  if (preFramed) {
    res.flushHeaders();
    const socket = res.chunkedEncoding ? res.socket : null;
    up.body.on('data', (c: Buffer) => writeFramed(res, socket, c));
  } else up.body.on('data', (c: Buffer) => res.write(c));
  up.body.once('end', () => res.end());
  up.body.on('error', () => res.destroy());
}

/** undici's dispatch handler (no body Readable) and each read written to the socket as one pre-framed HTTP chunk. */
function viaDispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  let socket: Socket | null = null;
  undiciAgent.dispatch(
    { origin: upstream.origin, path: req.url!, method: 'POST', body, headers: { 'content-type': 'application/json' } },
    {
      onRequestStart(controller) {
        res.once('close', () => controller.abort(new Error('client gone')));
      },
      onResponseStart(_c, statusCode, headers) {
        res.writeHead(statusCode, { 'content-type': String(headers['content-type'] ?? 'text/event-stream') });
        res.flushHeaders();
        socket = res.chunkedEncoding ? res.socket : null;
      },
      onResponseData(_c, chunk) {
        writeFramed(res, socket, chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        res.destroy();
      },
    },
  );
}

/** One keep-alive node:http request upstream, tied to the client's connection both ways. */
function httpUpstream(req: IncomingMessage, res: ServerResponse, body: Buffer, onResponse: (ur: IncomingMessage) => void): void {
  const up = httpRequest(new URL(req.url!, upstream), { method: 'POST', agent: httpAgent, headers: { 'content-type': 'application/json', 'content-length': body.byteLength } }, (ur) => {
    res.writeHead(ur.statusCode ?? 502, { 'content-type': String(ur.headers['content-type'] ?? 'text/event-stream') });
    onResponse(ur);
  });
  res.once('close', () => up.destroy());
  up.on('error', () => res.destroy());
  up.end(body);
}

function viaHttp(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  httpUpstream(req, res, body, (ur) => ur.pipe(res));
}

/** node:http's client as the upstream, each read written to the socket as one pre-framed HTTP chunk (the dispatch kind's writes). */
function viaHttpRaw(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  httpUpstream(req, res, body, (ur) => {
    res.flushHeaders();
    const socket = res.chunkedEncoding ? res.socket : null;
    ur.on('data', (c: Buffer) => writeFramed(res, socket, c));
    ur.once('end', () => res.end());
    ur.on('error', () => res.destroy());
  });
}

/** No HTTP at all: each client connection spliced to its own upstream connection, bytes as they come. */
const tcp = createTcpServer((down) => {
  const up = connect(Number(upstream.port), upstream.hostname);
  down.pipe(up);
  up.pipe(down);
  down.on('error', () => up.destroy());
  up.on('error', () => down.destroy());
  down.once('close', () => up.destroy());
  up.once('close', () => down.destroy());
});

const relays: Record<string, (req: IncomingMessage, res: ServerResponse, body: Buffer) => unknown> = {
  http: viaHttp,
  'http-raw': viaHttpRaw,
  undici: (req, res, body) => viaUndici(req, res, body, false),
  'undici-raw': (req, res, body) => viaUndici(req, res, body, true),
  dispatch: viaDispatch,
};
const relay = relays[kind];
if (kind !== 'tcp' && !relay) throw new Error(`unknown bare relay kind '${kind}': tcp, ${Object.keys(relays).join(', ')}`);

const server =
  kind === 'tcp'
    ? tcp
    : createServer((req, res) => {
        readBody(req)
          .then((body) => relay!(req, res, body))
          .catch(() => res.destroy());
      });
server.listen({ port: 0, host: '127.0.0.1', backlog: BENCH_LISTEN_BACKLOG }, () => {
  const a = server.address();
  if (a && typeof a === 'object') console.log(`BARE_URL http://127.0.0.1:${a.port}`);
});
process.once('SIGTERM', () => process.exit(0));
