/**
 * vLLM's own /metrics steering routing: two simulated vLLM engines (the simulator's vLLM persona,
 * `kind: openai` upstreams with `metricsPath`), loaded by traffic that does not pass through
 * this origin (another gateway, a batch job), so the origin's own in-flight counts are equal and
 * only what the engines report tells them apart.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { defaultModels, startSimulator, type Simulator } from '../../sim/index.ts';
import { loadEngine } from '../helpers/engine-load.ts';

const MODEL = 'llama3.2:3b';

function vllm(parallel: number): Promise<Simulator> {
  const models = defaultModels().filter((m) => m.name === MODEL).map((m) => ({ ...m, numParallel: parallel, loadMs: 0 }));
  return startSimulator({ persona: 'vllm', models, preloaded: [MODEL], timeScale: 0.05 });
}

const hog = (sim: Simulator, n: number) => loadEngine(sim.url, MODEL, n);

let asked = 0;
/** Each ask its own conversation: session affinity would otherwise keep them all on one engine. */
async function ask(origin: RunningOrigin): Promise<void> {
  const r = await fetch(`${origin.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `hola ${++asked} [[sim:tokens=2]]` }], max_tokens: 2 }),
  });
  expect(r.status).toBe(200);
  await r.text();
}

describe('routing on vLLM metrics (two simulated vLLM engines)', () => {
  let a: Simulator;
  let b: Simulator;
  let origin: RunningOrigin;
  let hogs: Array<{ stop(): void }> = [];

  beforeAll(async () => {
    a = await vllm(1);
    b = await vllm(2);
    origin = await startOrigin({
      env: {},
      overrides: {
        log: { level: 'silent' },
        server: { port: 0 },
        admission: { mode: 'off' },
        routing: { health: { intervalMs: 50 } },
        upstreams: [
          { name: 'vllm-a', kind: 'openai', url: a.url, models: [MODEL], metricsPath: '/metrics' },
          { name: 'vllm-b', kind: 'openai', url: b.url, models: [MODEL], metricsPath: '/metrics' },
        ],
      },
    });
  });
  afterEach(() => {
    for (const h of hogs) h.stop();
    hogs = [];
  });
  afterAll(async () => {
    await origin?.close();
    await a?.close();
    await b?.close();
  });

  const engine = (name: string) => origin.deps.router!.engineLoad(name);
  /**
   * Each request waits until the last polls show the engines as the test set them up: a poll
   * that caught the previous request still running would show that engine busier for a moment.
   */
  async function askWhenSettled(n: number, settled: () => boolean): Promise<void> {
    for (let i = 0; i < n; i++) {
      await expect.poll(settled).toBe(true);
      await ask(origin);
    }
  }
  const served = (sim: Simulator) => sim.stats().requestsByModel[MODEL] ?? 0;

  it('sends requests to the engine with fewer requests waiting in its own queue', async () => {
    // a: one slot, 3 held → 1 running, 2 waiting. b: idle.
    hogs.push(hog(a, 3));
    await expect.poll(() => engine('vllm-a')?.waiting).toBe(2);
    await expect.poll(() => engine('vllm-b')?.waiting).toBe(0);
    const before = { a: served(a), b: served(b) };
    await askWhenSettled(4, () => engine('vllm-a')?.waiting === 2 && engine('vllm-b')?.running === 0);
    expect(served(a) - before.a).toBe(0);
    expect(served(b) - before.b).toBe(4);
  });

  it('with equal queues, prefers the engine with more KV cache free, and turns when that changes', async () => {
    // b: two slots, one held → KV half used; a idle.
    const onB = hog(b, 1);
    hogs.push(onB);
    await expect.poll(() => engine('vllm-b')?.kvCacheUsage).toBe(0.5);
    await expect.poll(() => engine('vllm-a')?.running).toBe(0);
    let before = { a: served(a), b: served(b) };
    await askWhenSettled(3, () => engine('vllm-a')?.running === 0 && engine('vllm-b')?.kvCacheUsage === 0.5);
    expect([served(a) - before.a, served(b) - before.b]).toEqual([3, 0]);
    // Now a is full and b is free: the traffic follows.
    onB.stop();
    hogs.push(hog(a, 1));
    await expect.poll(() => engine('vllm-a')?.kvCacheUsage).toBe(1);
    await expect.poll(() => engine('vllm-b')?.kvCacheUsage).toBe(0);
    before = { a: served(a), b: served(b) };
    await askWhenSettled(3, () => engine('vllm-a')?.kvCacheUsage === 1 && engine('vllm-b')?.running === 0);
    expect([served(a) - before.a, served(b) - before.b]).toEqual([0, 3]);
  });

  it('mirrors the engines\' figures into puerta_engine_* metrics and the routing snapshot', async () => {
    hogs.push(hog(a, 2));
    await expect.poll(() => engine('vllm-a')?.waiting).toBe(1);
    const text = await (await fetch(`${origin.url}/metrics`)).text();
    expect(text).toMatch(/puerta_engine_requests_running\{upstream="vllm-a"\} 1\n/);
    expect(text).toMatch(/puerta_engine_requests_waiting\{upstream="vllm-a"\} 1\n/);
    expect(text).toMatch(/puerta_engine_kv_cache_usage_ratio\{upstream="vllm-a"\} 1\n/);
    // The same conversation twice: the engine reports its prefix found, the origin counts it.
    const convo = [{ role: 'user', content: 'uno dos tres cuatro cinco seis' }, { role: 'assistant', content: 'siete ocho' }];
    for (let i = 0; i < 2; i++) {
      await fetch(`${b.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: MODEL, messages: [...convo, { role: 'user', content: `turn ${i} [[sim:tokens=2]]` }] }) }).then((r) => r.text());
    }
    await expect.poll(async () => /puerta_engine_prefix_cache_hit_tokens_total\{upstream="vllm-b"\} [1-9]/.test(await (await fetch(`${origin.url}/metrics`)).text())).toBe(true);
    expect(await (await fetch(`${origin.url}/metrics`)).text()).toMatch(/puerta_engine_mean_ttft_seconds\{upstream="vllm-b"\} 0\.\d+/);
    expect(origin.deps.router!.snapshot().engines['vllm-a']).toMatchObject({ running: 1, waiting: 1, kvCacheUsage: 1 });
  });
});
