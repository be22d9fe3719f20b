/**
 * Item 4 of hardening issue 19: four sockets that never read held all four slots of a model, on
 * `/v1/messages` and `/v1/responses`, for as long as their kernel buffers took to fill (minutes at
 * a real model's speed) plus WRITE_STALL_MS. With the default configuration a tenant holds at
 * most half of a model's slots (admission.defaultTenantShare), so another tenant is still served
 * at once while the first pins its share; when the never-readers hang up, mid-stream or still
 * waiting, every slot and every count comes back. Against keys-mode origins (two tenants) in front
 * of the simulator's 4-slot model: one origin alone, and two replicas sharing their slots through a
 * real redis-server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOrigin } from '../../origin/node/server.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { writeTestTenants } from '../edge/harness/stack.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { ADMIN, origin } from '../quota/helpers.ts';
import { tally } from './tally.ts';

const MODEL = 'llama3.2:3b';
const SLOTS = 4;

interface GateView {
  model: string;
  active: number;
  queued: number;
  queuedInteractive: number;
  heldByTenant: Record<string, number>;
  stats: { queuedAdmitted: number };
}

/** A client that sends its streamed request and then never reads a byte of the answer. */
function neverReads(url: string, key: string, path: '/v1/messages' | '/v1/responses'): Socket {
  const prompt = 'go on [[sim:tokens=400000]]';
  const body = JSON.stringify(
    path === '/v1/messages'
      ? { model: MODEL, stream: true, max_tokens: 400_000, messages: [{ role: 'user', content: prompt }] }
      : { model: MODEL, stream: true, max_output_tokens: 400_000, input: prompt },
  );
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.on('error', () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.pause();
  return socket;
}

/** A short streamed Messages answer read to its end, as a well-behaved client does. */
async function served(url: string, key: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: MODEL, stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hola [[sim:tokens=20]]' }] }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: r.status, body: await r.text() };
}

async function gate(url: string): Promise<GateView> {
  const r = await fetch(`${url}/admin/admission`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const gates = ((await r.json()) as { gates: GateView[] }).gates;
  return gates.find((g) => g.model === MODEL) ?? { model: MODEL, active: 0, queued: 0, queuedInteractive: 0, heldByTenant: {}, stats: { queuedAdmitted: 0 } };
}

const PATHS = ['/v1/messages', '/v1/messages', '/v1/responses', '/v1/responses'] as const;

describe('never-reading clients pin at most their tenant’s share of a model (default configuration)', () => {
  let sim: Simulator;
  let dir: string;
  let keys: Awaited<ReturnType<typeof writeTestTenants>>['keys'];
  const started: RunningOrigin[] = [];

  beforeAll(async () => {
    // The simulator's llama3.2:3b: 4 parallel slots, ~110 tokens/s per stream, real time.
    sim = await startSimulator({ preloaded: [MODEL] });
    dir = mkdtempSync(join(tmpdir(), 'puerta-never-reading-'));
    ({ keys } = await writeTestTenants(dir));
  });
  afterAll(async () => {
    for (const o of started) await o.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A keys-mode origin with nothing but what the test needs to reach it: admission is the default. */
  async function keysOrigin(extra: Record<string, unknown> = {}): Promise<RunningOrigin> {
    const o = await origin(sim.url, { auth: { mode: 'keys', tenantsFile: join(dir, 'tenants.json') }, ...extra });
    started.push(o);
    return o;
  }

  const engineInFlight = () => sim.stats().models[MODEL]?.inFlight ?? 0;

  it('one origin: four never-reading streams of one tenant hold 2 of the 4 slots; another tenant is served straight in; hanging up frees everything', { timeout: 60_000 }, async () => {
    const count = tally('never-reading tenant share');
    const o = await keysOrigin();
    const stalled = PATHS.map((p) => neverReads(o.url, keys.open, p));
    count.tried += stalled.length;
    // Two of them run (and go on generating into buffers nobody reads), two wait their turn.
    await expect.poll(() => gate(o.url), { timeout: 10_000 }).toMatchObject({ active: 2, queuedInteractive: 2, heldByTenant: { 'open-co': 2 } });
    await expect.poll(engineInFlight).toBe(2);

    // The other tenant: two streams at once, each read to its end, without waiting in the queue.
    const other = await Promise.all([served(o.url, keys.models), served(o.url, keys.models)]);
    for (const r of other) {
      expect(r.status).toBe(200);
      expect(r.body).toContain('event: message_stop');
    }
    const during = await gate(o.url);
    expect(during.stats.queuedAdmitted).toBe(0);
    // …while the never-readers still hold their share: the first tenant was not cut off to make room.
    expect(during).toMatchObject({ active: 2, queuedInteractive: 2, heldByTenant: { 'open-co': 2 } });

    // They hang up, two mid-stream and two while waiting: slots, queue, tenant counts and the engine back at zero.
    for (const s of stalled) s.destroy();
    await expect.poll(() => gate(o.url), { timeout: 10_000 }).toMatchObject({ active: 0, queued: 0, heldByTenant: {} });
    await expect.poll(engineInFlight, { timeout: 10_000 }).toBe(0);
    // And the first tenant has its whole share again.
    expect((await Promise.all([served(o.url, keys.open), served(o.url, keys.open)])).map((r) => r.status)).toEqual([200, 200]);
    count.held += stalled.length;
  });

  it('a request that waits its whole QUEUE_WAIT_MS behind its own tenant’s share gets 429 in its dialect, naming the share', { timeout: 30_000 }, async () => {
    const o = await keysOrigin({ admission: { queueWaitMs: 500 } });
    const stalled = PATHS.slice(0, 2).map((p) => neverReads(o.url, keys.open, p));
    await expect.poll(() => gate(o.url), { timeout: 10_000 }).toMatchObject({ heldByTenant: { 'open-co': 2 } });
    const r = await fetch(`${o.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': keys.open },
      body: JSON.stringify({ model: MODEL, stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hola' }] }),
    });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await r.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(body.error.message).toMatch(/tenant 'open-co' holds 2 of the 4 slots of model 'llama3.2:3b'.*admission\.tenantShare/);
    for (const s of stalled) s.destroy();
    await expect.poll(() => gate(o.url), { timeout: 10_000 }).toMatchObject({ active: 0, queued: 0, heldByTenant: {} });
  });

  describe('two origin replicas sharing the slots through Redis', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => redis?.close());

    /** What Redis counts per capped tenant, and the capped requests it still knows. */
    async function redisCounts(): Promise<{ tenants: Record<string, number>; requests: number }> {
      const r = new Redis(redis.url);
      try {
        const tenants: Record<string, number> = {};
        for (const key of await r.keys('puerta:slots:*tenants')) for (const [t, n] of Object.entries(await r.hgetall(key))) tenants[t] = (tenants[t] ?? 0) + Number(n);
        let requests = 0;
        for (const key of await r.keys('puerta:slots:*owners')) requests += await r.hlen(key);
        return { tenants, requests };
      } finally {
        r.disconnect();
      }
    }

    it('the share is counted across replicas: the never-readers hold 2 of 4 whichever replica they came through; the other tenant is served through either', { timeout: 60_000 }, async () => {
      const count = tally('never-reading tenant share, two replicas');
      const replicas = [await keysOrigin({ redis: { url: redis.url } }), await keysOrigin({ redis: { url: redis.url } })];
      const stalled = PATHS.map((p, i) => neverReads(replicas[i % 2]!.url, keys.open, p));
      count.tried += stalled.length;
      await expect.poll(redisCounts, { timeout: 10_000 }).toEqual({ tenants: { 'open-co': 2 }, requests: 4 });
      await expect.poll(engineInFlight).toBe(2);
      const views = await Promise.all(replicas.map((r) => gate(r.url)));
      expect(views.reduce((n, v) => n + v.active, 0)).toBe(2);
      expect(views.reduce((n, v) => n + v.queued, 0)).toBe(2);

      const other = await Promise.all(replicas.map((r) => served(r.url, keys.models)));
      for (const r of other) {
        expect(r.status).toBe(200);
        expect(r.body).toContain('event: message_stop');
      }
      for (const v of await Promise.all(replicas.map((r) => gate(r.url)))) expect(v.stats.queuedAdmitted).toBe(0);
      expect((await redisCounts()).tenants).toEqual({ 'open-co': 2 });

      for (const s of stalled) s.destroy();
      await expect.poll(redisCounts, { timeout: 10_000 }).toEqual({ tenants: {}, requests: 0 });
      for (const r of replicas) await expect.poll(() => gate(r.url), { timeout: 10_000 }).toMatchObject({ active: 0, queued: 0, heldByTenant: {} });
      await expect.poll(engineInFlight, { timeout: 10_000 }).toBe(0);
      count.held += stalled.length;
    });
  });
});
