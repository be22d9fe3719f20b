import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import type { AdmissionController } from '../../origin/admission/controller.ts';
import { chat, origin, until } from '../quota/helpers.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.02, preloaded: ['llama3.2:3b'] });
});
afterAll(async () => sim?.close());

describe('admission control in front of the engine', () => {
  it('never lets the engine hold more than its parallel slots; the rest queue in the origin', async () => {
    const o = await origin(sim.url, { admission: { slots: { 'llama3.2:3b': 2 } } });
    try {
      sim.resetStats();
      const rs = await Promise.all(Array.from({ length: 8 }, () => chat(o.url, { stream: true, tokens: 100 })));
      await Promise.all(rs.map((r) => r.text()));
      expect(rs.every((r) => r.status === 200)).toBe(true);
      const m = sim.stats().models['llama3.2:3b']!;
      expect(m.maxConcurrent).toBeLessThanOrEqual(2);
      const gate = (o.deps.admission as AdmissionController).snapshot()[0]!;
      expect(gate).toMatchObject({ upstream: 'sim', model: 'llama3.2:3b', limit: 2, active: 0, queued: 0 });
      expect(gate.stats.queuedAdmitted).toBeGreaterThan(0);
    } finally {
      await o.close();
    }
  });

  it('beyond the queue wait limit: a real 503 with Retry-After before the stream is committed', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1, queueWaitMs: 200 }, stream: { keepaliveMs: 10_000 } });
    try {
      const ctl = new AbortController();
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal });
      const t0 = Date.now();
      const r = await chat(o.url, { stream: true });
      expect(r.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await r.json()) as { error: { code: string; type: string; message: string } };
      expect(body.error).toMatchObject({ code: 'queue_wait_exceeded', type: 'server_error' });
      expect(body.error.message).toMatch(/waited 200 ms/);
      ctl.abort();
      await long.body?.cancel().catch(() => {});
    } finally {
      await o.close();
    }
  });

  it('while a stream waits, keepalives flow; a wait-limit rejection after commit is an event: error', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1, queueWaitMs: 400 }, stream: { keepaliveMs: 100 } });
    try {
      const ctl = new AbortController();
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal });
      const r = await chat(o.url, { stream: true });
      expect(r.status).toBe(200);
      const text = await r.text();
      // Queued: each keepalive says where the request stands.
      expect(text).toMatch(/^: queued position=1 estimated_wait_ms=\d+\n\n/);
      expect(text).toMatch(/event: error\ndata: .*"code":"queue_wait_exceeded"/);
      ctl.abort();
      await long.body?.cancel().catch(() => {});
    } finally {
      await o.close();
    }
  });

  it('a queued request whose client disconnects leaves the queue at once and never reaches the engine', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1 }, stream: { keepaliveMs: 10_000 } });
    try {
      const ctl = new AbortController();
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal });
      sim.resetStats();
      const gone = new AbortController();
      const p = chat(o.url, { stream: true, signal: gone.signal }).catch((e: unknown) => e);
      const gate = () => (o.deps.admission as AdmissionController).snapshot()[0]!;
      await until(() => gate().queued === 1);
      gone.abort();
      await p;
      await until(() => gate().queued === 0, 1_000);
      expect(gate().stats.cancelledWhileQueued).toBe(1);
      ctl.abort();
      await long.body?.cancel().catch(() => {});
      // The queue is FIFO: had the cancelled request been sent on, it would reach the engine before this one.
      expect((await (await chat(o.url)).text()).length).toBeGreaterThan(0);
      expect(sim.stats().requestsByModel['llama3.2:3b'] ?? 0).toBe(1);
    } finally {
      await o.close();
    }
  });

  it('the priority header and tenant config choose the class', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1 } });
    try {
      const ctl = new AbortController();
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal });
      const p = chat(o.url, { headers: { 'x-priority': 'batch' } });
      const gate = () => (o.deps.admission as AdmissionController).snapshot()[0]!;
      await until(() => gate().queuedBatch === 1);
      ctl.abort();
      await long.body?.cancel().catch(() => {});
      expect((await p).status).toBe(200);
    } finally {
      await o.close();
    }
  });

  it('admission.mode off is plain pass-through', async () => {
    const o = await origin(sim.url, { admission: { mode: 'off' } });
    try {
      expect((o.deps.admission as Partial<AdmissionController>).snapshot).toBeUndefined();
      expect((await chat(o.url)).status).toBe(200);
    } finally {
      await o.close();
    }
  });
});
