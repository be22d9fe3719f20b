/**
 * The body limit, from a client's side: a 413 closes its connection honestly (`Connection: close`),
 * so a keep-alive client's next request goes out on a fresh connection instead of one the server
 * is tearing down; and the default limit takes one phone photo in base64, at the origin and
 * through the edge.
 */
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { startEdgeStack, type EdgeStack } from '../edge/harness/stack.ts';

/** A 12-megapixel JPEG is 3–8 MB: 4.5 MB is 6 MB in base64, past the old 4 MiB limit. */
const photoBase64 = Buffer.alloc(4.5 * 1024 * 1024, 0xa5).toString('base64');

const photoChat = JSON.stringify({
  model: 'llama3.2:3b',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this? [[sim:tokens=3]]' }, { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${photoBase64}` } }] }],
});

/** One keep-alive connection: whatever the first request leaves behind, the second must work. */
async function tooLargeThenNext(base: string, headers: Record<string, string>, limitBody: string): Promise<{ first: number; close: string | undefined; second: number }> {
  const agent = new Agent({ connections: 1, pipelining: 1 });
  try {
    const first = await request(`${base}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...headers }, body: limitBody });
    const close = first.headers.connection as string | undefined;
    await first.body.text();
    const second = await request(`${base}/v1/models`, { dispatcher: agent, headers });
    await second.body.text();
    return { first: first.statusCode, close, second: second.statusCode };
  } finally {
    await agent.close();
  }
}

describe('origin', () => {
  let s: OriginStack;
  beforeAll(async () => {
    s = await startOriginStack({ sim: { timeScale: 0.01 }, origin: { auth: { mode: 'none' } } });
  });
  afterAll(() => s?.close());

  it('takes a phone photo in base64 by default (16 MiB)', async () => {
    expect(s.origin.cfg.server.maxBodyBytes).toBe(16 * 1024 * 1024);
    const res = await fetch(`${s.origin.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: photoChat });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('a 413 says Connection: close, and the next request on a keep-alive client succeeds', async () => {
    const tooLarge = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] });
    const r = await tooLargeThenNext(s.origin.url, {}, tooLarge);
    expect(r).toEqual({ first: 413, close: 'close', second: 200 });
  });

  // No Content-Length to judge by: the body is counted as it arrives (origin/http/body-limit.ts).
  function chunked(body: string, pieceBytes: number): Readable {
    const bytes = Buffer.from(body);
    return Readable.from((function* () {
      for (let i = 0; i < bytes.length; i += pieceBytes) yield bytes.subarray(i, i + pieceBytes);
    })());
  }

  it('a chunked body (no Content-Length) within the limit is read whole, one past it is a 413', async () => {
    const small = await request(`${s.origin.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunked(JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi [[sim:tokens=3]]' }] }), 7),
    });
    expect(small.statusCode).toBe(200);
    expect((await small.body.json()) as { object: string }).toMatchObject({ object: 'chat.completion' });

    const tooLarge = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] });
    const big = await request(`${s.origin.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked(tooLarge, 1024 * 1024) }).catch((e: Error) => e);
    // The origin answers 413 as soon as the count passes the limit; a client still sending may see the reset instead.
    if (!(big instanceof Error)) {
      expect(big.statusCode).toBe(413);
      expect(await big.body.text()).toContain(String(16 * 1024 * 1024));
    }
  });
});

describe('through the edge (workerd)', () => {
  let s: EdgeStack;
  beforeAll(async () => {
    s = await startEdgeStack('workers', { timeScale: 0.01 });
  });
  afterAll(() => s?.close());

  it('takes a phone photo in base64 by default', async () => {
    const res = await s.fetch('/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${s.keys.open}`, 'content-type': 'application/json' }, body: photoChat });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('a 413 does not break the next request on the same client', async () => {
    const tooLarge = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] });
    const placement = s.edge.clientFrom('DE').headers ?? {};
    const r = await tooLargeThenNext(s.edge.url, { authorization: `Bearer ${s.keys.open}`, ...placement }, tooLarge);
    expect(r.first).toBe(413);
    expect(r.second).toBe(200);
  });
});
