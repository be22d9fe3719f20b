import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastModels, raw } from './helpers.ts';
import { chatBody } from '../helpers/request.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.01, models: fastModels(), preloaded: ['llama3.2:3b'] });
});
afterAll(async () => {
  await sim.close();
});

const chat = (content: string) => chatBody(content);

/** Raw streaming read that survives a reset: what arrived, and how it ended. */
function readStream(path: string, payload: unknown, headers: Record<string, string> = {}, timeoutMs = 2000): Promise<{ status: number; body: string; reset: boolean; timedOut: boolean }> {
  return new Promise((resolve) => {
    let body = '';
    let status = 0;
    const req = request(`${sim.url}${path}`, { method: 'POST', headers }, (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status, body, reset: false, timedOut: false }));
      res.on('error', () => resolve({ status, body, reset: true, timedOut: false }));
    });
    req.on('error', () => resolve({ status, body, reset: true, timedOut: false }));
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ status, body, reset: false, timedOut: true });
    });
    req.end(JSON.stringify(payload));
  });
}

describe('fault injection', () => {
  it('once=KEY: the first request carrying the key fails, the same request again is answered whole', async () => {
    const body = chat('x [[sim:tokens=6,fault=error,after=3,once=faults-test-1]]');
    const first = await readStream('/api/chat', body);
    expect(first.body.trim().split('\n').at(-1)).toMatch(/^\{"error":/);
    const again = await readStream('/api/chat', body);
    expect(JSON.parse(again.body.trim().split('\n').at(-1)!)).toMatchObject({ done: true, done_reason: 'stop' });
    // Another key is its own one-off.
    const other = await readStream('/api/chat', chat('x [[sim:tokens=6,fault=error,after=3,once=faults-test-2]]'));
    expect(other.body.trim().split('\n').at(-1)).toMatch(/^\{"error":/);
  });

  it('error after N tokens: status 200, last line {"error":...}, no done', async () => {
    const r = await readStream('/api/chat', chat('x [[sim:fault=error,after=3]]'));
    const lines = r.body.trim().split('\n');
    expect(r.status).toBe(200);
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[3]!)).toEqual({ error: 'an error was encountered while running the model: unexpected EOF' });
    expect(r.body).not.toContain('"done":true');
  });

  it('error by header, before any token: a 500', async () => {
    const r = await raw(sim.url, '/api/chat', chat('x'), { 'x-sim-fault': 'error;after=0' });
    expect(r.status).toBe(500);
  });

  it('reset destroys the socket mid-stream', async () => {
    const r = await readStream('/api/chat', chat('x [[sim:fault=reset,after=2]]'));
    expect(r.reset).toBe(true);
    expect(r.body.trim().split('\n')).toHaveLength(2);
  });

  it('stall pauses then resumes; stall forever holds until the client leaves', async () => {
    const t0 = performance.now();
    const r = await readStream('/api/chat', chat('x [[sim:fault=stall,after=1,ms=10000,tokens=3]]'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(r.body).toContain('"done":true');
    const before = sim.stats().cancelled;
    const f = await readStream('/api/chat', chat('x [[sim:fault=stall,after=1]]'), {}, 150);
    expect(f.timedOut).toBe(true);
    expect(f.body.trim().split('\n')).toHaveLength(1);
    await expect.poll(() => sim.stats().cancelled, { timeout: 2_000 }).toBe(before + 1);
  });

  it('slow-first-byte delays the headers', async () => {
    const t0 = performance.now();
    const r = await raw(sim.url, '/api/chat', chat('x [[sim:tokens=1]]'), { 'x-sim-fault': 'slow-first-byte;ms=10000' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(r.status).toBe(200);
  });

  it('malformed writes a line that is not JSON and carries on', async () => {
    const r = await raw(sim.url, '/api/chat', chat('x [[sim:fault=malformed,after=1,tokens=3]]'));
    const lines = r.body.trim().split('\n');
    expect(() => JSON.parse(lines[1]!)).toThrow();
    expect(lines.at(-1)).toContain('"done":true');
  });

  it('status fault answers before streaming, native and OpenAI shapes', async () => {
    const a = await raw(sim.url, '/api/chat', chat('x [[sim:fault=status,status=503]]'));
    expect(a).toMatchObject({ status: 503, body: '{"error":"server busy, please try again.  maximum pending requests exceeded"}' });
    const b = await raw(sim.url, '/v1/chat/completions', { ...chat('x'), stream: true }, { 'x-sim-fault': 'status;status=500' });
    expect(b.status).toBe(500);
    expect(JSON.parse(b.body)).toMatchObject({ error: { type: 'api_error', param: null, code: null } });
  });

  it('rate-based faults are seeded and counted', async () => {
    const s = await startSimulator({ timeScale: 0.01, models: fastModels(), preloaded: ['llama3.2:3b'], faults: { error: 0.5 }, seed: 7 });
    try {
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => raw(s.url, '/api/chat', chat(`q${i} [[sim:tokens=4]]`))));
      const errored = rs.filter((r) => r.body.includes('"error"')).length;
      expect(errored).toBeGreaterThan(3);
      expect(errored).toBeLessThan(17);
      expect(s.stats().faultsInjected.error).toBe(errored);
    } finally {
      await s.close();
    }
  });

  it('fault stats count each kind', () => {
    const f = sim.stats().faultsInjected;
    for (const k of ['error', 'reset', 'stall', 'slow-first-byte', 'malformed', 'status'] as const) expect(f[k]).toBeGreaterThan(0);
  });

  it('/_sim/stats and /_sim/reset over HTTP', async () => {
    const st = JSON.parse((await raw(sim.url, '/_sim/stats')).body) as { requestsByRoute: Record<string, number> };
    expect(st.requestsByRoute['/api/chat']).toBeGreaterThan(0);
    await raw(sim.url, '/_sim/reset', {});
    expect(sim.stats().requestsByRoute).toEqual({});
  });
});
