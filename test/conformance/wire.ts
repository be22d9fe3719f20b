/**
 * What the conformance checks compare: the parts of a response that a client can depend on,
 * with the parts that legitimately differ (generated text, timings, token counts, digests)
 * reduced to their JSON type. Key order is kept: Go writes struct fields in declaration order and
 * byte-level clients (and the origin's relay) see it.
 */
import { request, type IncomingHttpHeaders } from 'node:http';

export type Shape = string | Shape[] | Array<[string, Shape]>;

/** Keys in order, values reduced to their JSON type (arrays to the shape of their first item). */
export function shape(v: unknown): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shape(x)] as [string, Shape]);
  return typeof v;
}

/** Shapes of consecutive stream items with runs of the same shape folded into one. */
export function foldedShapes(items: readonly unknown[]): Shape[] {
  const out: Shape[] = [];
  let last = '';
  for (const it of items) {
    const s = shape(it);
    const key = JSON.stringify(s);
    if (key !== last) out.push(s);
    last = key;
  }
  return out;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** ms from sending the request to the response headers. */
  headersAfterMs: number;
}

/** One request with node:http (byte-exact body, real header timing, any Host header). */
export function send(url: string, path: string, opts: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const t0 = performance.now();
    const req = request(url + path, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers } }, (res) => {
      const headersAfterMs = performance.now() - t0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), headersAfterMs }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** NDJSON lines as objects; asserts every line is complete (ends with \n). */
export function ndjson(body: string): Array<Record<string, unknown>> {
  if (body && !body.endsWith('\n')) throw new Error(`stream does not end with a newline: ${JSON.stringify(body.slice(-80))}`);
  return body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** SSE `data:` payloads in order (the `[DONE]` marker kept as the string). */
export function sseData(body: string): Array<Record<string, unknown> | '[DONE]'> {
  const events = body.split('\n\n');
  if (events.pop() !== '') throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(body.slice(-80))}`);
  return events.map((e) => {
    if (!e.startsWith('data: ')) throw new Error(`not a data event: ${JSON.stringify(e.slice(0, 80))}`);
    const d = e.slice(6);
    return d === '[DONE]' ? '[DONE]' : (JSON.parse(d) as Record<string, unknown>);
  });
}

/**
 * Headers a client acts on. Content-Length vs chunked is left out for whole bodies (Go's server
 * picks by body size, Node's by how the handler writes; clients read both alike).
 */
export function contractHeaders(h: IncomingHttpHeaders): Record<string, string | undefined> {
  return { 'content-type': h['content-type'], 'cache-control': h['cache-control'] };
}
