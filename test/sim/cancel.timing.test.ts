import { afterEach, describe, expect, it } from 'vitest';
import { fastModels, postAndLeave, raw, until } from './helpers.ts';
import { chatBody } from '../helpers/request.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';

// A tight latency bound: runs in the isolated `timing` group (vitest.config.ts), one file at a time.
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const body = (content: string, model = 'llama3.2:3b', extra: Record<string, unknown> = {}) => chatBody(content, { model, stream: false, ...extra });

describe('cancellation', () => {
  it('a client leaving mid-stream cancels within 100 ms and frees the slot', async () => {
    sim = await startSimulator({ timeScale: 0.05, models: fastModels({ numParallel: 1 }), preloaded: ['llama3.2:3b'] });
    const leftAt = await postAndLeave(sim.url, '/api/chat', { ...body('long [[sim:tokens=2000]]'), stream: true }, 1);
    await until(() => sim!.stats().cancelled === 1);
    const ev = sim.stats().cancelEvents[0]!;
    expect(ev.phase).toBe('streaming');
    expect(ev.detectedAt - leftAt).toBeLessThan(100);
    expect(ev.freedAfterMs).toBeLessThan(100);
    expect(sim.stats().models['llama3.2:3b']?.active).toBe(0);
    // the single slot is free: the next request runs now
    const r = await raw(sim.url, '/api/chat', body('next [[sim:tokens=2]]'));
    expect(r.status).toBe(200);
  });
});
