/**
 * Models warmed by demand: a model asked for `minRequests` times within the window is loaded on
 * every engine serving it that does not hold it yet (with the configured keep_alive), so the
 * next request sent there does not wait for a cold load. Two simulated Ollama engines.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describe } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/index.ts';
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
      expect(o.deps.router!.demand!.loads).toBe(1);
      await expect.poll(async () => /puerta_fleet_demand_loads_total\{upstream="[ab]",model="llama3.2:3b"\} 1/.test(await (await fetch(`${o.url}/metrics`)).text())).toBe(true);
    } finally {
      await o.close();
    }
  });
});
