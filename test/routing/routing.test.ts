import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { injectIntoBody } from '../../origin/routing/inject.ts';
import { ollamaUpstream } from '../../origin/dialects/upstream/ollama/index.ts';
import { openaiUpstream } from '../../origin/dialects/upstream/openai/index.ts';
import { chat, origin, until } from '../quota/helpers.ts';

describe('persona injection', () => {
  const persona = { model: 'gpt-oss:20b', system: 'You plan.', temperature: 0.2, reasoningEffort: 'high' as const, numCtx: 32768 };
  it('Ollama chat: system first, defaults where the client set none, num_ctx always', () => {
    const out = JSON.parse(injectIntoBody(JSON.stringify({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0.9, num_ctx: 2048 } }), 'chat', ollamaUpstream, persona, false));
    expect(out.messages[0]).toEqual({ role: 'system', content: 'You plan.' });
    expect(out.messages[1].content).toBe('hi');
    expect(out.options).toEqual({ temperature: 0.9, num_ctx: 32768 });
    expect(out.think).toBe('high');
    expect(out.keep_alive).toBeUndefined();
  });
  it('OpenAI upstream: system message, temperature and reasoning_effort defaults', () => {
    const out = JSON.parse(injectIntoBody(JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), 'chat', openaiUpstream, persona, false));
    expect(out.messages[0].role).toBe('system');
    expect(out.temperature).toBe(0.2);
    expect(out.reasoning_effort).toBe('high');
  });
  it('generate gets the persona system ahead of its own; pinned models always get keep_alive -1', () => {
    const out = JSON.parse(injectIntoBody(JSON.stringify({ model: 'm', prompt: 'p', system: 'mine', keep_alive: '5m' }), 'prompt', ollamaUpstream, persona, true));
    expect(out.system).toBe('You plan.\n\nmine');
    expect(out.keep_alive).toBe(-1);
  });
});

describe('routing across upstreams', () => {
  let a: Simulator;
  let b: Simulator;
  beforeAll(async () => {
    a = await startSimulator({ timeScale: 0.02, preloaded: ['llama3.2:3b'] });
    b = await startSimulator({ timeScale: 0.02, preloaded: ['llama3.2:3b'] });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const twoUpstreams = (extra: Record<string, unknown> = {}) =>
    origin(a.url, { upstreams: [{ name: 'a', url: a.url }, { name: 'b', url: b.url }], ...extra });

  it('spreads a model’s load across replicas by least outstanding', async () => {
    const o = await twoUpstreams();
    try {
      // First request discovers both model lists; requests after it are routed without waiting.
      await (await chat(o.url)).text();
      a.resetStats();
      b.resetStats();
      const rs = await Promise.all(Array.from({ length: 6 }, () => chat(o.url, { stream: true, tokens: 3_000 })));
      await Promise.all(rs.map((r) => r.text()));
      // Exactly 3/3 when all six overlap; a loaded test machine may let one finish early.
      expect(a.stats().requestsByModel['llama3.2:3b']).toBeGreaterThanOrEqual(2);
      expect(b.stats().requestsByModel['llama3.2:3b']).toBeGreaterThanOrEqual(2);
    } finally {
      await o.close();
    }
  });

  it('retries once on another replica before the first byte, and ejects a failing replica', async () => {
    const dead = await startSimulator({ timeScale: 0.02 });
    const deadUrl = dead.url;
    await dead.close();
    const o = await origin(a.url, {
      upstreams: [{ name: 'dead', url: deadUrl, models: ['llama3.2:3b'] }, { name: 'a', url: a.url, models: ['llama3.2:3b'] }],
      // Every request here is one conversation: affinity would keep it on `a` after the first
      // retry, and `dead` would never be tried again (nor ejected).
      routing: { affinity: { enabled: false }, health: { ejectAfterFailures: 2, ejectMs: 60_000 } },
    });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await chat(o.url);
        expect(r.status).toBe(200);
        await r.text();
      }
      const dh = o.deps.router!.snapshot().upstreams.find((u) => u.name === 'dead')!;
      expect(dh.ejectedUntil).toBeGreaterThan(Date.now());
      expect(dh.ejections).toBe(1);
      // Ejected: it is no longer even tried.
      const c = await o.deps.router!.candidates('llama3.2:3b');
      expect(c.map((x) => x.upstream.name)).toEqual(['a']);
    } finally {
      await o.close();
    }
  });

  it('active health checks take an unreachable upstream out of rotation', async () => {
    const dead = await startSimulator({ timeScale: 0.02 });
    const deadUrl = dead.url;
    await dead.close();
    const o = await origin(a.url, {
      upstreams: [{ name: 'dead', url: deadUrl, models: ['llama3.2:3b'] }, { name: 'a', url: a.url, models: ['llama3.2:3b'] }],
      routing: { health: { intervalMs: 50, unhealthyAfter: 2 } },
    });
    try {
      await until(() => o.deps.router!.snapshot().upstreams.find((u) => u.name === 'dead')!.healthy === false, 3_000);
      expect(o.deps.router!.snapshot().upstreams.find((u) => u.name === 'a')!.healthy).toBe(true);
      a.resetStats();
      const r = await chat(o.url);
      expect(r.status).toBe(200);
    } finally {
      await o.close();
    }
  });

  it('serves an alias (persona) through its upstream model under the public name', async () => {
    const o = await origin(a.url, { routing: { aliases: { plan: { model: 'llama3.2:3b', system: 'Plan first.', numCtx: 8192 } } } });
    try {
      a.resetStats();
      const r = await chat(o.url, { model: 'plan' });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { model: string }).model).toBe('plan');
      expect(a.stats().requestsByModel['llama3.2:3b']).toBe(1);
      const n = await fetch(`${o.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'plan', stream: false, messages: [{ role: 'user', content: 'x [[sim:tokens=2]]' }] }) });
      expect(n.status).toBe(200);
    } finally {
      await o.close();
    }
  });
});

describe('pinned (warm) models', () => {
  it('are loaded at start with keep_alive -1 and their cold-start time is reported', async () => {
    const sim = await startSimulator({ timeScale: 0.02 });
    const o = await origin(sim.url, { routing: { pinned: ['llama3.2:3b', 'nomic-embed-text'] } });
    try {
      await o.deps.router!.warm.done;
      const pinned = o.deps.router!.snapshot().pinned;
      expect(pinned.map((p) => [p.model, p.state])).toEqual([
        ['llama3.2:3b', 'warm'],
        ['nomic-embed-text:latest', 'warm'],
      ]);
      // llama3.2 loads in 3 s simulated = 60 ms real at timeScale 0.02.
      expect(pinned[0]!.coldStartMs).toBeGreaterThanOrEqual(50);
      expect(sim.stats().models['llama3.2:3b']!.loaded).toBe(true);
      // Requests to a pinned model carry keep_alive -1, so Ollama never lets it expire.
      await (await chat(o.url)).text();
      const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as { models: Array<{ name: string; expires_at: string }> };
      const llama = ps.models.find((m) => m.name === 'llama3.2:3b')!;
      expect(new Date(llama.expires_at).getFullYear()).toBeGreaterThan(new Date().getFullYear() + 10);
      const r = await fetch(`${o.url}/admin/routing`, { headers: { authorization: `Bearer ${'admin-token-'.padEnd(40, 'x')}` } });
      expect(((await r.json()) as { pinned: unknown[] }).pinned).toHaveLength(2);
    } finally {
      await o.close();
      await sim.close();
    }
  });
});
