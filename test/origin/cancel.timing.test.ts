/**
 * The timing-critical cancel measurement, in a file of its own: `*.timing.test.ts` files run after
 * the rest of the suite, one at a time (vitest.config.ts), so the 100 ms bound measures the relay
 * (client, origin and simulator share this process's event loop), not a CPU shared with another
 * test file's Viceroy compile or Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { chatBody, postJson } from '../helpers/request.ts';

const chat = (content: string) => chatBody(content, { stream: true });

describe('client disconnect', () => {
  let stack: OriginStack;
  beforeAll(async () => {
    stack = await startOriginStack({ sim: { timeScale: 1 }, origin: { stream: { keepaliveMs: 150 } }, upstream: { idleTimeoutMs: 400 } });
    // One full stream first, so the measured request is not the fork's first (cold code, first connections).
    await (await postJson(`${stack.origin.url}/v1/chat/completions`, chat('warm up [[sim:tokens=3]]'))).text();
  });
  afterAll(() => stack?.close());

  it('aborts the upstream generation within 100 ms of a client disconnect', async () => {
    stack.sim.resetStats();
    const ctl = new AbortController();
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('long answer [[sim:tokens=2000]]'), { signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    const abortedAt = performance.timeOrigin + performance.now();
    ctl.abort();
    await expect.poll(() => stack.sim.stats().cancelEvents.length, { timeout: 2_000, interval: 10 }).toBeGreaterThan(0);
    const ev = stack.sim.stats().cancelEvents[0]!;
    expect(ev.phase).toBe('streaming');
    expect(ev.detectedAt - abortedAt).toBeLessThan(100);
    await expect.poll(() => stack.sim.stats().inFlight, { timeout: 1_000 }).toBe(0);
  });
});
