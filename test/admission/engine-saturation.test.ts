/**
 * Admission on vLLM's own /metrics: one simulated vLLM engine (the simulator's vLLM persona, one
 * sequence at a time) loaded by traffic that does not pass through this origin, in front of an
 * origin with more slots than the engine runs, so only the engine's own figures can hold a
 * request back. With slots in the replica and with slots shared through a real redis-server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { defaultModels, startSimulator, type Simulator } from '../../sim/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { loadEngine } from '../helpers/engine-load.ts';

const MODEL = 'llama3.2:3b';
const ADMIN = 'admin-token-for-the-engine-saturation-tests';

const hog = (sim: Simulator, n: number) => loadEngine(sim.url, MODEL, n);

describe.each([['replica'], ['redis']] as const)('admission holds work while the simulated vLLM engine says it is saturated (slots: %s)', (scope) => {
  let sim: Simulator;
  let redis: RedisServer | undefined;
  let origin: RunningOrigin;
  let hogs: Array<{ stop(): void }> = [];
  let polls = 0;

  beforeAll(async () => {
    const models = defaultModels().filter((m) => m.name === MODEL).map((m) => ({ ...m, numParallel: 1, loadMs: 0 }));
    sim = await startSimulator({ persona: 'vllm', models, preloaded: [MODEL], timeScale: 0.05 });
    if (scope === 'redis') redis = await startRedis();
    origin = await startOrigin({
      env: {},
      overrides: {
        log: { level: 'silent' },
        server: { port: 0 },
        admin: { token: ADMIN },
        admission: { defaultSlots: 4, queueWaitMs: 60_000, scope },
        // Stale after 3 × 200 ms + 1 s without a reading.
        routing: { health: { intervalMs: 200, timeoutMs: 1_000 } },
        upstreams: [{ name: 'vllm', kind: 'openai', url: sim.url, models: [MODEL], metricsPath: '/metrics' }],
        ...(redis ? { redis: { url: redis.url } } : {}),
      },
    });
    origin.deps.poller.onResult(() => polls++);
  });
  afterEach(() => {
    for (const h of hogs) h.stop();
    hogs = [];
  });
  afterAll(async () => {
    await origin?.close();
    await sim?.close();
    await redis?.close();
  });

  const engine = () => origin.deps.router!.engineLoad('vllm');
  const served = () => sim.stats().requestsByModel[MODEL] ?? 0;
  async function gateView(): Promise<{ active: number; queued: number; scope: string; engineSaturated?: string; stats: { queuedEngineSaturated: number } } | undefined> {
    const r = await fetch(`${origin.url}/admin/admission`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await r.json()) as { gates: Array<{ upstream: string; active: number; queued: number; scope: string; engineSaturated?: string; stats: { queuedEngineSaturated: number } }> };
    return body.gates.find((g) => g.upstream === 'vllm');
  }
  function ask(): Promise<number> {
    return fetch(`${origin.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hola [[sim:tokens=2]]' }], max_tokens: 2 }),
    }).then(async (r) => (await r.text(), r.status));
  }
  /** Waits for `n` more polls of the engine to have come in (every one of them still showing saturation). */
  async function morePolls(n: number): Promise<void> {
    const target = polls + n;
    await expect.poll(() => polls, { timeout: 10_000 }).toBeGreaterThanOrEqual(target);
  }
  const heldCount = async () => (await gateView())?.stats.queuedEngineSaturated ?? 0;

  it('while the engine reports requests waiting in its own queue, a new request waits in the origin\'s; it goes in when the engine reports none', async () => {
    // Warm the gate (and, shared, its Redis keys): the engine idle, straight through.
    expect(await ask()).toBe(200);
    expect((await gateView())?.scope).toBe(scope);
    const h = hog(sim, 2);
    hogs.push(h);
    await expect.poll(() => engine()?.waiting, { timeout: 10_000 }).toBe(1);
    const before = { served: served(), held: await heldCount() };
    const answer = ask();
    await expect.poll(gateView, { timeout: 10_000 }).toMatchObject({ active: 0, queued: 1, engineSaturated: expect.stringMatching(/engine reports 1 requests waiting/) });
    // Fresh readings that still show the engine's queue keep it out; it never reached the engine.
    await morePolls(3);
    expect(await gateView()).toMatchObject({ active: 0, queued: 1 });
    expect(served()).toBe(before.served);
    h.stop();
    expect(await answer).toBe(200);
    expect(served()).toBe(before.served + 1);
    expect(await heldCount()).toBe(before.held + 1);
    await expect.poll(gateView).toMatchObject({ active: 0, queued: 0 });
    const metrics = await (await fetch(`${origin.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`puerta_admission_engine_saturated_total\\{upstream="vllm",model="${MODEL.replace('.', '\\.')}"\\} ${before.held + 1}\\n`));
  });

  it('while the engine reports its KV cache full, likewise', async () => {
    const h = hog(sim, 1);
    hogs.push(h);
    await expect.poll(() => engine()?.kvCacheUsage, { timeout: 10_000 }).toBe(1);
    expect(engine()?.waiting).toBe(0);
    const held = await heldCount();
    const answer = ask();
    await expect.poll(gateView, { timeout: 10_000 }).toMatchObject({ active: 0, queued: 1, engineSaturated: expect.stringMatching(/100% of its KV cache/) });
    h.stop();
    expect(await answer).toBe(200);
    expect(await heldCount()).toBe(held + 1);
  });

  it('a stale reading does not block: with the metrics no longer read, the held request goes in', async () => {
    const h = hog(sim, 2);
    hogs.push(h);
    await expect.poll(() => engine()?.waiting, { timeout: 10_000 }).toBe(1);
    // The poller stops: the last reading (saturated) ages out; the engine is still as loaded.
    await origin.deps.poller.close();
    const answer = ask();
    await expect.poll(gateView).toMatchObject({ active: 0, queued: 1 });
    await expect.poll(gateView, { timeout: 10_000 }).toMatchObject({ active: 1, queued: 0 });
    expect((await gateView())?.engineSaturated).toBeUndefined();
    // Admitted to the engine's own queue (one sequence, held by the hog): the hog ends, it is served.
    h.stop();
    expect(await answer).toBe(200);
    await expect.poll(gateView).toMatchObject({ active: 0, queued: 0 });
  });
});
