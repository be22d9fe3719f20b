import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { postJson } from '../helpers/request.ts';
import { parseSse } from '../helpers/sse.ts';

describe('shutdown grace period ends every open stream with an error event', () => {
  let stack: OriginStack;
  beforeAll(async () => {
    // One engine slot: the second stream waits in the origin's queue, sending keepalives.
    stack = await startOriginStack({
      sim: { timeScale: 1 },
      origin: { stream: { keepaliveMs: 100 }, admission: { defaultSlots: 1, queueWaitMs: 60_000 } },
    });
  });
  afterAll(() => stack?.close());

  it('also the one still queued behind a busy slot (already committed by keepalives)', async () => {
    const body = (n: number) => ({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: `long ${n} [[sim:tokens=5000]]` }] });
    const running = await postJson(`${stack.origin.url}/v1/chat/completions`, body(1));
    const queued = await postJson(`${stack.origin.url}/v1/chat/completions`, body(2));
    expect(running.status).toBe(200);
    expect(queued.status).toBe(200);
    const [a, b] = [running.text(), queued.text()];
    await new Promise((r) => setTimeout(r, 300));
    await stack.origin.shutdown(200);
    for (const text of [await a, await b]) {
      const events = parseSse(text);
      const last = events[events.length - 1]!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data!)).toMatchObject({ error: { code: 'origin_shutting_down', retryable: true } });
      expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
    }
    const queuedEvents = parseSse(await b);
    // Its keepalives said where it stood in the queue.
    expect(queuedEvents.some((e) => /^queued position=1 estimated_wait_ms=\d+$/.test(e.comment ?? ''))).toBe(true);
    expect(queuedEvents.some((e) => e.data && !e.event)).toBe(false);
    // Nothing keeps generating on the engine once the origin is gone.
    await expect.poll(() => stack.sim.stats().inFlight, { timeout: 2_000 }).toBe(0);
  });
});
