import { afterEach, describe, expect, it } from 'vitest';
import { fastModels, postAndAbortAfter, postAndLeave, raw, sleep, until } from './helpers.ts';
import { chatBody } from '../helpers/request.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const body = (content: string, model = 'llama3.2:3b', extra: Record<string, unknown> = {}) => chatBody(content, { model, stream: false, ...extra });

describe('slots and queue', () => {
  it('numParallel=2: five requests run at most two at a time, none rejected', async () => {
    sim = await startSimulator({ timeScale: 0.01, models: fastModels({ numParallel: 2 }), preloaded: ['llama3.2:3b'] });
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 5 }, () => raw(sim!.url, '/api/chat', body('hi [[sim:tokens=20]]'))));
    expect(rs.every((r) => r.status === 200)).toBe(true);
    const st = sim.stats();
    expect(st.models['llama3.2:3b']?.maxConcurrent).toBe(2);
    expect(st.completed).toBe(5);
    // three waves of ~20 tokens at 110 tok/s (x0.01) ≈ 3 × 1.8 ms+: at least two waves long
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2 * 20 * (1000 / 110) * 0.01);
    // the last one waited for a slot, which shows in load_duration
    const loads = rs.map((r) => (JSON.parse(r.body) as { load_duration?: number }).load_duration ?? 0);
    expect(Math.max(...loads)).toBeGreaterThan(Math.min(...loads));
  });

  it('cold load takes loadMs; keep_alive 0 unloads after the request', async () => {
    sim = await startSimulator({ timeScale: 0.01, models: fastModels({ loadMs: 5000 }) });
    const t0 = performance.now();
    const r = await raw(sim.url, '/api/chat', body('hi [[sim:tokens=1]]', 'llama3.2:3b', { keep_alive: 0 }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    expect((JSON.parse(r.body) as { load_duration: number }).load_duration).toBeGreaterThanOrEqual(5e9);
    const st = sim.stats();
    expect(st.loads).toBe(1);
    expect(st.unloads).toBe(1);
    expect(st.models['llama3.2:3b']?.loaded).toBe(false);
  });

  it('keep_alive expiry unloads an idle model; "-1" keeps it', async () => {
    sim = await startSimulator({ timeScale: 0.01, models: fastModels() });
    await raw(sim.url, '/api/chat', body('hi [[sim:tokens=1]]', 'llama3.2:3b', { keep_alive: '30s' }));
    await raw(sim.url, '/api/chat', body('hi [[sim:tokens=1]]', 'gpt-oss:20b', { keep_alive: -1 }));
    expect(sim.stats().models['llama3.2:3b']?.loaded).toBe(true);
    await until(() => sim!.stats().models['llama3.2:3b']?.loaded === false, 2000);
    expect(sim.stats().models['gpt-oss:20b']?.loaded).toBe(true);
  });

  it('maxLoadedModels evicts the least recently used idle model', async () => {
    sim = await startSimulator({ timeScale: 0.01, models: fastModels(), maxLoadedModels: 2 });
    await raw(sim.url, '/api/chat', body('a [[sim:tokens=1]]', 'llama3.2:3b'));
    await raw(sim.url, '/api/chat', body('b [[sim:tokens=1]]', 'gpt-oss:20b'));
    await raw(sim.url, '/api/embed', { model: 'nomic-embed-text', input: 'c' });
    const m = sim.stats().models;
    expect(m['llama3.2:3b']?.loaded).toBe(false);
    expect(m['gpt-oss:20b']?.loaded).toBe(true);
    expect(m['nomic-embed-text:latest']?.loaded).toBe(true);
  });

  it('503 with two spaces only for requests waiting on a load beyond maxQueue', async () => {
    sim = await startSimulator({ timeScale: 0.01, models: fastModels({ loadMs: 10_000 }), maxQueue: 2 });
    const rs = await Promise.all(Array.from({ length: 4 }, () => raw(sim!.url, '/api/chat', body('hi [[sim:tokens=1]]'))));
    const busy = rs.filter((r) => r.status === 503);
    expect(busy).toHaveLength(2);
    expect(busy[0]!.body).toBe('{"error":"server busy, please try again.  maximum pending requests exceeded"}');
    expect(sim.stats().rejected['503']).toBe(2);
    // once loaded, a burst waits for slots instead of failing
    const again = await Promise.all(Array.from({ length: 6 }, () => raw(sim!.url, '/api/chat', body('hi [[sim:tokens=1]]'))));
    expect(again.every((r) => r.status === 200)).toBe(true);
  });
});

describe('cancellation', () => {
  it('a client leaving while queued for a slot is counted (499) and does not run', async () => {
    sim = await startSimulator({ timeScale: 0.01, models: fastModels({ numParallel: 1 }), preloaded: ['llama3.2:3b'] });
    // The first holds the only slot far longer than a loaded machine needs to queue the second.
    const first = raw(sim.url, '/api/chat', body('hold [[sim:tokens=3000]]'));
    await sleep(10);
    await postAndAbortAfter(sim.url, '/api/chat', body('queued'), 10);
    await until(() => sim!.stats().cancelled === 1);
    expect(sim.stats().cancelEvents[0]?.phase).toBe('queued');
    expect((await first).status).toBe(200);
    expect(sim.stats().completed).toBe(1);
    expect(sim.stats().models['llama3.2:3b']?.queued).toBe(0);
  });
});

describe('shared compute', () => {
  it('an embedding storm slows chat decode on the same box', async () => {
    // Wall-clock timing: long enough (~90 ms alone) that a scheduling hiccup on a busy machine
    // is small beside it, and the uncontended baseline is the better of two runs.
    sim = await startSimulator({ timeScale: 0.05, models: fastModels({ numParallel: 8 }), preloaded: ['llama3.2:3b', 'nomic-embed-text:latest'] });
    const time = async () => {
      const t = performance.now();
      await raw(sim!.url, '/api/chat', body('x [[sim:tokens=200]]'));
      return performance.now() - t;
    };
    const alone = Math.min(await time(), await time());
    const long = 'palabra '.repeat(20000);
    const storm = Array.from({ length: 40 }, () => raw(sim!.url, '/api/embed', { model: 'nomic-embed-text', input: long }));
    await until(() => (sim!.stats().models['nomic-embed-text:latest']?.active ?? 0) >= 4);
    const contended = await time();
    await Promise.all(storm);
    expect(contended).toBeGreaterThan(alone * 1.5);
  });
});
