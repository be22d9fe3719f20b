/**
 * One behavioural suite, run unchanged against both runtimes (fastly.test.ts → Viceroy,
 * workers.test.ts → workerd): everything between a client and the origin that the edge owns.
 */
import { Ollama } from 'ollama';
import puppeteer from 'puppeteer-core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatJson, jsonInit } from '../helpers/request.ts';
import { parseSse, readTimed } from '../helpers/sse.ts';
import { startPageServer } from './harness/page-server.ts';
import { placedFetch, startEdgeStack, unlocatedClient, type EdgeStack, type Runtime, type TenantName } from './harness/stack.ts';

const chat = (content: string, extra: Record<string, unknown> = {}) => chatJson(content, { stream: true, ...extra });

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

async function errorOf(res: Response): Promise<{ message: string; type: string; code: string | null }> {
  const body = (await res.json()) as { error: { message: string; type: string; code: string | null }; request_id?: string };
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  return body.error;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

export function edgeSuite(runtime: Runtime): void {
  describe(`edge on ${runtime === 'fastly' ? 'Fastly Compute (Viceroy)' : 'Cloudflare Workers (workerd)'}`, () => {
    let s: EdgeStack;
    let page: Awaited<ReturnType<typeof startPageServer>>;
    const post = (tenant: TenantName, path: string, body: string, init: RequestInit & { country?: 'DE' | 'US' } = {}) =>
      s.fetch(path, jsonInit(body, { ...init, headers: { ...bearer(s.keys[tenant]), ...(init.headers as Record<string, string>) } }));

    beforeAll(async () => {
      page = await startPageServer();
      // DEFAULT_COUNTRY set as a production service might have it by mistake: it must only place loopback clients.
      s = await startEdgeStack(runtime, { edgeConfig: { CORS_ALLOWED_ORIGINS: `https://app.example.eu,${page.origin}`, DEFAULT_COUNTRY: 'DE' } });
    });
    afterAll(async () => {
      await s?.close();
      await page?.close();
    });

    it('answers with the request id it was given, or a new one', async () => {
      const res = await s.fetch('/healthz', { headers: { 'x-request-id': 'client-chosen-id-123' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('client-chosen-id-123');
      const res2 = await s.fetch('/v1/models');
      expect(res2.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
      await res2.body?.cancel();
    });

    describe('auth', () => {
      it('accepts a tenant key and forwards to the origin, which verifies the edge signature', async () => {
        const res = await post('open', '/v1/chat/completions', chat('hi [[sim:tokens=5]]', { stream: false }));
        expect(res.status).toBe(200);
        const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
        expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
        expect(res.headers.get('x-ratelimit-limit-requests')).toBe('1000');
        for (const [name] of res.headers) expect(name.startsWith('x-puerta-')).toBe(false);
      });

      it('works with the openai SDK and the ollama client unchanged', async () => {
        const openai = new OpenAI({ baseURL: `${s.edge.url}/v1`, apiKey: s.keys.open, maxRetries: 0 });
        const stream = await openai.chat.completions.create({
          model: 'llama3.2:3b',
          stream: true,
          messages: [{ role: 'user', content: 'count [[sim:tokens=8]]' }],
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        expect(text.length).toBeGreaterThan(0);

        const ollama = new Ollama({ host: s.edge.url, headers: { Authorization: `Bearer ${s.keys.open}` } });
        let native = '';
        for await (const part of await ollama.chat({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'hi [[sim:tokens=6]]' }] })) {
          native += part.message.content;
        }
        expect(native.length).toBeGreaterThan(0);
      });

      it('refuses a missing, malformed or unknown key with 401 and an OpenAI error body', async () => {
        const none = await s.fetch('/v1/models');
        expect(none.status).toBe(401);
        expect(await errorOf(none)).toMatchObject({ type: 'authentication_error', code: 'missing_api_key' });

        const malformed = await s.fetch('/v1/models', { headers: { authorization: 'Bearer sk-not-ours' } });
        expect(malformed.status).toBe(401);
        expect((await errorOf(malformed)).code).toBe('invalid_api_key');

        const forged = s.keys.open.slice(0, -4) + (s.keys.open.endsWith('AAAA') ? 'BBBB' : 'AAAA');
        const wrong = await s.fetch('/v1/models', { headers: { 'x-api-key': forged } });
        expect(wrong.status).toBe(401);
        expect((await errorOf(wrong)).code).toBe('invalid_api_key');
      });

      it('speaks Ollama errors on /api/*: the ollama client shows the message', async () => {
        const ollama = new Ollama({ host: s.edge.url, headers: { Authorization: 'Bearer sk-not-ours' } });
        await expect(ollama.list()).rejects.toMatchObject({ status_code: 401, error: expect.stringContaining('not a Puerta key') });
      });

      it('refuses a suspended tenant with 403', async () => {
        const res = await s.fetch('/v1/models', { headers: bearer(s.keys.suspended) });
        expect(res.status).toBe(403);
        expect(await errorOf(res)).toMatchObject({ type: 'permission_error', code: 'tenant_suspended' });
      });

      it('refuses a model outside the tenant allow-list before reaching the origin', async () => {
        const res = await post('models', '/v1/chat/completions', chat('hi', { model: 'gpt-oss:20b' }));
        expect(res.status).toBe(404);
        expect((await errorOf(res)).code).toBe('model_not_found');
      });

      it('keeps the model allow-list whatever the content-type or field name (the origin parses any body as JSON)', async () => {
        for (const ct of ['text/plain', 'application/x-www-form-urlencoded']) {
          const res = await post('models', '/v1/chat/completions', chat('hi', { model: 'gpt-oss:20b', stream: false }), { headers: { 'content-type': ct } });
          expect(res.status, ct).toBe(404);
          expect((await errorOf(res)).code, ct).toBe('model_not_found');
        }
        // /api/show still accepts the old `name` field in place of `model`.
        const show = await post('models', '/api/show', JSON.stringify({ name: 'gpt-oss:20b' }));
        expect(show.status).toBe(404);
        await show.body?.cancel();
      });

      it('shows a tenant with an allow-list only its models in /v1/models, /api/tags and /api/ps', async () => {
        // Untagged allow-list names are Ollama's `:latest`, as in the allow-list check itself.
        const allowed = ['llama3.2:3b', 'nomic-embed-text:latest'];
        const get = (tenant: TenantName, path: string) => s.fetch(path, { headers: bearer(s.keys[tenant]) });

        const all = (await (await get('open', '/api/tags')).json()) as { models: Array<{ name: string }> };
        expect(all.models.map((m) => m.name)).toContain('gpt-oss:20b');

        const v1 = await get('models', '/v1/models');
        expect(v1.status).toBe(200);
        expect(v1.headers.get('x-request-id')).toMatch(/^req_/);
        const list = (await v1.json()) as { object: string; data: Array<{ id: string; object: string }> };
        expect(list.object).toBe('list');
        expect(list.data.map((m) => m.id).sort()).toEqual(allowed);

        const ollama = new Ollama({ host: s.edge.url, headers: { Authorization: `Bearer ${s.keys.models}` } });
        expect((await ollama.list()).models.map((m) => m.name).sort()).toEqual(allowed);
        const ps = (await ollama.ps()).models.map((m) => m.name);
        expect(ps.length).toBeGreaterThan(0);
        for (const name of ps) expect(allowed).toContain(name);

        // And the untagged name is callable as such.
        const embed = await post('models', '/api/embed', JSON.stringify({ model: 'nomic-embed-text', input: 'hi' }));
        expect(embed.status).toBe(200);
        await embed.body?.cancel();
      });

      it('the origin refuses what did not come through the edge (unsigned, forged, spoofed headers)', async () => {
        const direct = await fetch(`${s.origin.origin.url}/v1/models`, { headers: bearer(s.keys.open) });
        expect(direct.status).toBe(401);
        expect(await direct.json()).toMatchObject({ error: { type: 'authentication_error', code: 'missing_edge_signature' } });

        const forged = await fetch(`${s.origin.origin.url}/v1/models`, {
          headers: {
            'x-request-id': 'req_forged_0001',
            'x-puerta-tenant': 'open-co',
            'x-puerta-timestamp': String(Date.now()),
            'x-puerta-nonce': 'AAAAAAAAAAAAAAAAAAAAAA',
            'x-puerta-body-sha256': '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
            'x-puerta-signature': 'v1=' + 'A'.repeat(43),
          },
        });
        expect(forged.status).toBe(401);
        expect((await forged.json()) as object).toMatchObject({ error: { code: 'invalid_edge_signature' } });

        // A client's own x-puerta-* headers are dropped at the edge, so they cannot impersonate.
        const spoof = await s.fetch('/v1/models', {
          headers: { ...bearer(s.keys.open), 'x-puerta-tenant': 'limited-co', 'x-puerta-signature': 'v1=bogus' },
        });
        expect(spoof.status).toBe(200);
        await spoof.body?.cancel();
      });
    });

    it('rate limits per tenant: 429 with Retry-After, x-ratelimit-* and an OpenAI body', async () => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await s.fetch('/v1/models', { headers: bearer(s.keys.limited) });
        statuses.push(last.status);
        if (i < 3) await last.body?.cancel();
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const res = last!;
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?\d+s$/);
      expect(await errorOf(res)).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    });

    it('applies residency: a tenant limited to DE refuses a US client with 451', async () => {
      const fromUs = await s.fetch('/v1/models', { headers: bearer(s.keys.germany), country: 'US' });
      expect(fromUs.status).toBe(451);
      const err = await errorOf(fromUs);
      expect(err).toMatchObject({ type: 'permission_error', code: 'country_not_allowed' });
      expect(err.message).toContain("'US'");
      const fromDe = await s.fetch('/v1/models', { headers: bearer(s.keys.germany), country: 'DE' });
      expect(fromDe.status).toBe(200);
      await fromDe.body?.cancel();
    });

    it('fails residency closed for an unlocated client; DEFAULT_COUNTRY places loopback (local) clients only', async () => {
      const asUnlocated = (from: 'loopback' | 'remote') => {
        const placement = unlocatedClient(runtime, from);
        return placement && placedFetch(s.edge.url, placement, '/v1/models', { headers: bearer(s.keys.germany) });
      };
      const local = (await asUnlocated('loopback'))!;
      expect(local.status).toBe(200);
      await local.body?.cancel();

      const remote = await asUnlocated('remote');
      if (!remote) return; // Fastly only: this machine has no non-loopback address to connect from.
      expect(remote.status).toBe(451);
      const err = await errorOf(remote);
      expect(err).toMatchObject({ type: 'permission_error', code: 'country_not_allowed' });
      expect(err.message).toContain('unknown country');
    });

    it('answers CORS preflights at the edge for allowed origins only', async () => {
      const ok = await s.fetch('/v1/chat/completions', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.eu', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.eu');
      expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
      expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
      const other = await s.fetch('/v1/chat/completions', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      // Actual responses (errors included) carry the CORS headers so browsers can read them.
      const denied = await s.fetch('/v1/models', { headers: { origin: 'https://app.example.eu' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.eu');
      expect(denied.headers.get('access-control-expose-headers')).toContain('x-request-id');
    });

    it('serves a browser on an allowed origin: preflight, streamed chunks, exposed headers (headless Chromium)', async () => {
      const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
      try {
        const tab = await browser.newPage();
        await tab.goto(page.origin);
        const result = await tab.evaluate(
          async (edgeUrl: string, key: string) => {
            const res = await fetch(`${edgeUrl}/v1/chat/completions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              // ~550 ms of tokens: a renderer stalled for a while on a busy machine bunches the first
              // reads, but an unbuffered stream still spreads well past the bound below.
              body: JSON.stringify({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'hi [[sim:tokens=60]]' }] }),
            });
            const reader = res.body!.getReader();
            const dec = new TextDecoder();
            const at: number[] = [];
            let text = '';
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              at.push(performance.now());
              text += dec.decode(value, { stream: true });
            }
            return { status: res.status, requestId: res.headers.get('x-request-id'), reads: at.length, spread: at[at.length - 1]! - at[0]!, text };
          },
          s.edge.url,
          s.keys.open,
        );
        expect(result.status).toBe(200);
        expect(result.requestId).toMatch(/^req_/);
        expect(result.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
        expect(result.reads).toBeGreaterThanOrEqual(5);
        expect(result.spread).toBeGreaterThan(80);
      } finally {
        await browser.close();
      }
    });

    describe('streaming', () => {
      it('relays SSE chunks as they arrive, uncompressed, ending with [DONE]', async () => {
        const t0 = performance.now();
        const res = await post('open', '/v1/chat/completions', chat('Tell me about rivers [[sim:tokens=30]]'), {
          headers: { 'accept-encoding': 'gzip, br' },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
        expect(res.headers.get('content-encoding')).toBeNull();
        const frames = await readTimed(res);
        const all = frames.map((f) => f.text).join('');
        expect(all.trimEnd().endsWith('data: [DONE]')).toBe(true);
        const content = frames.filter((f) => f.text.includes('"content"'));
        expect(content.length).toBeGreaterThanOrEqual(10);
        const spread = content[content.length - 1]!.at - content[0]!.at;
        expect(spread).toBeGreaterThan(150);
        expect(content[0]!.at - t0).toBeLessThan(spread + 300);
      });

      it('passes keepalive comments through while the first token is slow', async () => {
        const res = await post('open', '/v1/chat/completions', chat('hola [[sim:fault=slow-first-byte,ms=800]] [[sim:tokens=3]]'));
        expect(res.status).toBe(200);
        const events = parseSse(await res.text());
        const firstData = events.findIndex((e) => e.data !== undefined);
        expect(events.slice(0, firstData).filter((e) => e.comment === 'keepalive').length).toBeGreaterThanOrEqual(3);
        expect(events[events.length - 1]!.data).toBe('[DONE]');
      });

      it('passes the origin error event through when the upstream fails mid-stream', async () => {
        const res = await post('open', '/v1/chat/completions', chat('x [[sim:tokens=20]] [[sim:fault=reset,after=3]]'));
        expect(res.status).toBe(200);
        const events = parseSse(await res.text());
        const last = events[events.length - 1]!;
        expect(last.event).toBe('error');
        const body = JSON.parse(last.data!) as { error: { code: string; retryable: boolean } };
        expect(body.error.code).toBe('upstream_reset');
        expect(body.error.retryable).toBe(true);
        expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
      });

      it('relays Ollama-native NDJSON and its mid-stream error line to the ollama client', async () => {
        const ollama = new Ollama({ host: s.edge.url, headers: { Authorization: `Bearer ${s.keys.open}` } });
        let parts = 0;
        const run = async () => {
          for await (const _ of await ollama.chat({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'x [[sim:tokens=20]] [[sim:fault=error,after=3,message=gpu%20fell%20over]]' }] })) parts++;
        };
        await expect(run()).rejects.toThrow(/gpu fell over/);
        expect(parts).toBeGreaterThanOrEqual(3);
      });

      it('propagates a client disconnect to the upstream (the simulator sees the cancel)', async () => {
        const before = s.origin.sim.stats().cancelled;
        const ac = new AbortController();
        const res = await post('open', '/v1/chat/completions', chat('long [[sim:tokens=2000]]'), { signal: ac.signal });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        let got = 0;
        while (got < 3) {
          const { done } = await reader.read();
          if (done) break;
          got++;
        }
        ac.abort();
        const t = Date.now();
        expect(await waitFor(() => s.origin.sim.stats().cancelled > before, 5_000)).toBe(true);
        expect(Date.now() - t).toBeLessThan(5_000);
      });
    });
  });
}
