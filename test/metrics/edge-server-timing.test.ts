import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../../edge/config.ts';
import { forward } from '../../edge/forward/forward.ts';
import type { EdgeEnv, EdgePlatform } from '../../edge/platform.ts';
import { tenantRecordSchema } from '../../shared/tenants.ts';

/** The edge's forward step against a stand-in origin that answers with its own Server-Timing. */
describe('Server-Timing across hops', () => {
  it('the edge appends its own entries to the origin\'s (queue, upstream, origin)', async () => {
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('s'.repeat(32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const platform = {
      runtime: 'workers',
      config: parseEdgeConfig({ ORIGIN_URL: 'http://127.0.0.1:1' }),
      storeGet: async () => null,
      limiter: undefined as never,
      signingKey: async () => key,
      client: () => ({ country: 'CR', pop: 'SJO' }),
      fetchOrigin: async () => {
        await new Promise((r) => setTimeout(r, 20));
        return new Response('{"ok":true}', { headers: { 'content-type': 'application/json', 'server-timing': 'queue;dur=3;desc="admission wait", upstream;dur=12;desc="upstream first byte", origin;dur=16' } });
      },
    } satisfies EdgePlatform;
    const app = new Hono<EdgeEnv>();
    app.post('*', (c) => {
      c.set('requestId', 'req_servertiming1');
      c.set('tenant', tenantRecordSchema.parse({ id: 'acme' }));
      c.set('client', { country: 'CR', pop: 'SJO' });
      return forward(c);
    });
    const res = await app.request('http://edge/v1/chat/completions', { method: 'POST', body: '{"model":"m"}', headers: { 'content-type': 'application/json' } }, { platform });
    const st = res.headers.get('server-timing') ?? '';
    expect(st).toContain('queue;dur=3');
    expect(st).toContain('upstream;dur=12');
    expect(st).toMatch(/edge;dur=\d+;desc="edge forward prep"/);
    const edgeOrigin = Number(/edge-origin;dur=(\d+)/.exec(st)?.[1]);
    expect(edgeOrigin).toBeGreaterThanOrEqual(15);
  });
});
