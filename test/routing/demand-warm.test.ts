/**
 * Models warmed by demand: a model asked for `minRequests` times within the window is loaded on
 * every engine serving it that does not hold it yet (with the configured keep_alive), so the
 * next request sent there does not wait for a cold load. Two simulated Ollama engines.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describe } from 'vitest';
import pino from 'pino';
import { DemandWarmer } from '../../origin/routing/demand-warm.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { finishedRecord } from '../helpers/record.ts';
import { postChat, TEST_MODEL } from '../helpers/request.ts';
import { origin } from '../quota/helpers.ts';

describe('models warmed by demand', () => {
  let a: Simulator;
  let b: Simulator;
  beforeAll(async () => {
    [a, b] = await Promise.all([startSimulator({ timeScale: 0.02 }), startSimulator({ timeScale: 0.02 })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('loads a model in demand on the engine that lacks it, and counts it', async () => {
    const o = await origin(a.url, {
      upstreams: [{ name: 'a', url: a.url, models: [TEST_MODEL] }, { name: 'b', url: b.url, models: [TEST_MODEL] }],
      routing: { health: { intervalMs: 100 }, demandWarm: { enabled: true, minRequests: 2, intervalMs: 1_000, keepAlive: '7m' } },
    });
    try {
      // One conversation: affinity keeps both requests on one engine; the other stays cold.
      for (let i = 0; i < 2; i++) {
        const r = await postChat(o.url, 'hello [[sim:tokens=3]]');
        expect(r.status).toBe(200);
        await r.text();
      }
      const loaded = (s: Simulator) => s.stats().models[TEST_MODEL]?.loaded === true;
      expect(loaded(a) !== loaded(b)).toBe(true);
      expect(o.deps.router!.demand!.wanted()).toEqual([TEST_MODEL]);
      await expect.poll(() => loaded(a) && loaded(b), { timeout: 10_000 }).toBe(true);
      // The engine lists the model as loaded a moment before its answer to the load reaches the warmer.
      await expect.poll(() => o.deps.router!.demand!.loads).toBe(1);
      await expect.poll(async () => /puerta_fleet_demand_loads_total\{upstream="[ab]",model="llama3.2:3b"\} 1/.test(await (await fetch(`${o.url}/metrics`)).text())).toBe(true);
    } finally {
      await o.close();
    }
  });

  it('wants the models asked for minRequests times within the window, the most asked for first, and forgets the rest', () => {
    const cfg = { enabled: true, windowMs: 60_000, minRequests: 2, intervalMs: 60_000, keepAlive: '5m', maxModelsPerEngine: 1 };
    const d = new DemandWarmer(cfg, { candidates: async () => [], load: async () => ({}), available: () => true }, pino({ level: 'silent' }));
    const at = (model: string, endedAt: number) => d.onEnd({ ...finishedRecord({}, {}, { model }), endedAt });
    const now = 1_000_000;
    at('slow', now - 50_000);
    at('slow', now - 10_000);
    at('busy', now - 3_000);
    at('busy', now - 1_000);
    at('once', now - 1_000);
    at('stale', now - 200_000);
    at('stale', now - 190_000);
    expect(d.wanted(now)).toEqual(['busy', 'slow']);
    // Only the newest minRequests times are kept: a burst long ago does not count.
    expect(d.wanted(now + 55_000)).toEqual(['busy']);
  });

  it('loads on each engine at most maxModelsPerEngine wanted models, the most asked for', async () => {
    const [c, d] = await Promise.all([startSimulator({ timeScale: 0.02 }), startSimulator({ timeScale: 0.02 })]);
    const models = [TEST_MODEL, 'gpt-oss:20b'];
    const o = await origin(c.url, {
      upstreams: [{ name: 'c', url: c.url, models }, { name: 'd', url: d.url, models }],
      routing: { health: { intervalMs: 0 }, demandWarm: { enabled: true, minRequests: 2, intervalMs: 600_000, maxModelsPerEngine: 1 } },
    });
    try {
      for (const model of models) {
        for (let i = 0; i < 2; i++) {
          const r = await postChat(o.url, `hello ${model} [[sim:tokens=3]]`, { model });
          expect(r.status).toBe(200);
          await r.text();
        }
      }
      const resident = async (s: Simulator) => ((await (await fetch(`${s.url}/api/ps`)).json()) as { models: Array<{ name: string }> }).models.map((m) => m.name);
      // Both conversations started on c (both engines idle): d holds nothing yet.
      expect((await resident(c)).sort()).toEqual([...models].sort());
      expect(await resident(d)).toEqual([]);
      await o.deps.poller.pollNow();
      const first = o.deps.router!.demand!.wanted()[0];
      await o.deps.router!.demand!.check();
      expect(await resident(d)).toEqual([first]);
      await o.deps.poller.pollNow();
      await o.deps.router!.demand!.check();
      expect(o.deps.router!.demand!.loads).toBe(1);
    } finally {
      await o.close();
      await Promise.all([c.close(), d.close()]);
    }
  });
});
