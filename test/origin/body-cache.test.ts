import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { cacheBodyText } from '../../origin/http/body-cache.ts';

/** Text read after the bytes were cached (the edge signature's digest) is what Response.text() gives. */
describe('cacheBodyText', () => {
  const app = new Hono();
  app.post('/', async (c) => {
    cacheBodyText(c.req, new Uint8Array(await c.req.arrayBuffer()));
    const first = await c.req.text();
    const json = await c.req.json().catch(() => null);
    return c.json({ first, again: await c.req.text(), json, bytes: (await c.req.arrayBuffer()).byteLength });
  });

  const cases: Array<[string, Uint8Array<ArrayBuffer>]> = [
    ['plain JSON', new TextEncoder().encode('{"model":"m","messages":[{"role":"user","content":"héllo ✓"}]}')],
    ['a leading byte-order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')])],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x22, 0x7d])],
  ];
  for (const [name, bytes] of cases) {
    it(`decodes ${name} as Response.text() does, once`, async () => {
      const want = await new Response(bytes).text();
      const res = await app.request('/', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json' } });
      const out = (await res.json()) as { first: string; again: string; json: unknown; bytes: number };
      expect(out.first).toBe(want);
      expect(out.again).toBe(want);
      expect(out.json).toEqual(JSON.parse(want));
      expect(out.bytes).toBe(bytes.byteLength);
    });
  }
});
