import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import type { AdmissionController } from '../../origin/admission/controller.ts';
import { chat, origin, until } from '../quota/helpers.ts';
import { postJson } from '../helpers/request.ts';

/** Seams between routes, quota, admission and the request record: nothing may leak on any path. */
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.02, preloaded: ['llama3.2:3b'] });
});
afterAll(async () => sim?.close());

const post = (url: string, path: string, body: unknown) => postJson(`${url}${path}`, body);

describe('a request refused while its upstream body is built', () => {
  it('gives its admission slot back (a remote image_url is a 400, not a wedged model)', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1, queueWaitMs: 300 } });
    try {
      const bad = {
        model: 'llama3.2:3b',
        stream: true,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      };
      const r = await post(o.url, '/v1/chat/completions', bad);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { param: string } }).error.param).toBe('messages[0].content[0].image_url');
      const gates = (o.deps.admission as AdmissionController).snapshot();
      expect(gates.reduce((n, g) => n + g.active, 0)).toBe(0);
      const ok = await chat(o.url, { stream: true, tokens: 3 });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/data: \[DONE\]\n\n$/);
    } finally {
      await o.close();
    }
  });
});

describe('a request that fails validation after its quota was admitted', () => {
  it('gives its concurrent-stream lease back', async () => {
    const o = await origin(sim.url, { quota: { defaults: { concurrentStreams: 1 } } });
    try {
      // Passes the quota's body scan (a stream for a model) but not the route's schema.
      const r = await post(o.url, '/v1/chat/completions', { model: 'llama3.2:3b', stream: true, messages: 'not a list' });
      expect(r.status).toBe(400);
      await r.text();
      await until(() => o.deps.quota!.snapshot().activeLeases === 0, 2_000);
      const ok = await chat(o.url, { stream: true, tokens: 3 });
      expect(ok.status).toBe(200);
      await ok.text();
    } finally {
      await o.close();
    }
  });
});

describe('a native stream the engine fails mid-way', () => {
  it('relays Ollama’s one error line and records the request as an upstream error', async () => {
    const ended: Array<{ outcome?: string; errorCode?: string | null }> = [];
    const { startOrigin } = await import('../../origin/node/server.ts');
    const o = await startOrigin({
      env: {},
      overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: sim.url }], routing: { health: { intervalMs: 0 } } },
      setup: (deps) => deps.observers.add({ onEnd: (rec) => void ended.push({ outcome: rec.outcome, errorCode: rec.errorCode }) }),
    });
    try {
      const r = await post(o.url, '/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x [[sim:tokens=20,fault=error,after=3]]' }] });
      expect(r.status).toBe(200);
      const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as { error?: string; done?: boolean });
      expect(lines.filter((l) => l.error !== undefined)).toHaveLength(1);
      expect(lines.at(-1)!.error).toBeDefined();
      expect(lines.some((l) => l.done === true)).toBe(false);
      await until(() => ended.length === 1, 2_000);
      expect(ended[0]!.outcome).toBe('upstream_error');
      expect(ended[0]!.errorCode).toMatch(/^upstream_/);
    } finally {
      await o.close();
    }
  });
});

describe('a non-streamed answer the upstream breaks off mid-body', () => {
  it('is a 502 upstream error, not a 500 internal error', async () => {
    const { createServer } = await import('node:http');
    const up = createServer((req, res) => {
      if (req.url === '/api/tags') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ models: [{ name: 'm:latest' }] }));
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"model":"m:latest","message":{"role":"assistant","content":"par');
        setTimeout(() => res.socket?.destroy(), 20);
      });
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
    const port = (up.address() as { port: number }).port;
    const o = await origin(`http://127.0.0.1:${port}`, {});
    try {
      const r = await post(o.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] });
      expect(r.status).toBe(502);
      const body = (await r.json()) as { error: { code: string } };
      expect(body.error.code).toMatch(/^upstream_/);
      const n = await post(o.url, '/api/chat', { model: 'm', stream: false, messages: [{ role: 'user', content: 'x' }] });
      expect(n.status).toBe(502);
      expect(((await n.json()) as { error: string }).error).toMatch(/mid-response/);
    } finally {
      await o.close();
      up.close();
    }
  });
});

describe('a non-streamed request whose client leaves while it is queued', () => {
  it('is recorded as a client cancellation (499), not a 500 internal error', async () => {
    const ended: Array<{ id: string; outcome?: string; status?: number; errorCode?: string | null }> = [];
    const { startOrigin } = await import('../../origin/node/server.ts');
    const o = await startOrigin({
      env: {},
      overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: sim.url }], routing: { health: { intervalMs: 0 } }, admission: { defaultSlots: 1 } },
      setup: (deps) => deps.observers.add({ onEnd: (rec) => void ended.push({ id: rec.requestId, outcome: rec.outcome, status: rec.status, errorCode: rec.errorCode }) }),
    });
    try {
      const holder = new AbortController();
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: holder.signal });
      expect(long.status).toBe(200);
      const ctl = new AbortController();
      const queued = fetch(`${o.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-left-while-queued' },
        body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] }),
        signal: ctl.signal,
      }).catch(() => null);
      await until(() => (o.deps.admission as AdmissionController).snapshot().some((g) => g.queued === 1), 2_000);
      ctl.abort();
      await queued;
      await until(() => ended.some((e) => e.id === 'req-left-while-queued'), 2_000);
      const rec = ended.find((e) => e.id === 'req-left-while-queued')!;
      expect(rec.outcome).toBe('client_cancelled');
      expect(rec.status).toBe(499);
      expect(rec.errorCode).not.toBe('internal_error');
      holder.abort();
      await long.body?.cancel().catch(() => {});
    } finally {
      await o.close();
    }
  });
});
