import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import type { TenantsFile } from '../../shared/tenants.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { buildOrigin, startOriginProcess, type Child } from '../../sre/bench/lib/processes.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { sleep, until } from '../quota/helpers.ts';

const SLOTS = 4;
const LEASE_TTL_MS = 3_000;
const ADMIN = 'admin-token-'.padEnd(40, 'y');
const MODEL = 'llama3.2:3b';

/**
 * Three origin processes sharing one Redis in front of one engine with 4 slots: the engine's own
 * counters (the simulator's maxInFlight) prove it never holds more than 4 requests, whichever
 * replica they came through.
 */
describe('engine slots shared by every origin replica (Redis leases)', () => {
  let redis: RedisServer;
  let sim: Simulator;
  let dir: string;
  const keys: Record<string, string> = {};
  const replicas: Child[] = [];

  const startReplica = () =>
    startOriginProcess({
      OLLAMA_URL: sim.url,
      REDIS_URL: redis.url,
      AUTH_MODE: 'keys',
      TENANTS_FILE: join(dir, 'tenants.json'),
      ADMIN_TOKEN: ADMIN,
      OLLAMA_NUM_PARALLEL: String(SLOTS),
      ORIGIN_REPLICAS: '3',
      ADMISSION_LEASE_TTL_MS: String(LEASE_TTL_MS),
      QUEUE_WAIT_MS: '60000',
      HEALTH_CHECK_INTERVAL_MS: '0',
      LOG_LEVEL: 'error',
      // A shared, loaded test machine: a slow answer is not an outage here.
      REDIS_COMMAND_TIMEOUT_MS: '1000',
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puerta-shared-slots-'));
    const data: TenantsFile = {};
    for (const t of ['flood-co', 'calm-co']) {
      putTenant(data, { id: t });
      keys[t] = (await addKey(data, t)).key;
    }
    writeTenantsFile(join(dir, 'tenants.json'), data);
    // The replicas run what production runs: the built origin (dist/origin/main.js).
    buildOrigin();
    redis = await startRedis();
    sim = await startSimulator({ preloaded: [MODEL] });
    replicas.push(...(await Promise.all([startReplica(), startReplica(), startReplica()])));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await sim?.close();
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One streamed chat; resolves when the stream has ended, with when it was admitted. */
  async function stream(url: string, tenant: string, tokens: number, headers: Record<string, string> = {}, signal?: AbortSignal) {
    const t0 = Date.now();
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[tenant]}`, ...headers },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: `hola [[sim:tokens=${tokens}]]` }] }),
      ...(signal ? { signal } : {}),
    });
    const body = await r.text();
    return { status: r.status, body, ms: Date.now() - t0, endedAt: Date.now() };
  }

  async function metric(url: string, name: string): Promise<number | undefined> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`model="${MODEL}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('the engine never holds more than its 4 slots, across 3 replicas', async () => {
    sim.resetStats();
    const all = await Promise.all(Array.from({ length: 30 }, (_, i) => stream(replicas[i % 3]!.url, i % 2 ? 'flood-co' : 'calm-co', 40)));
    expect(all.map((r) => r.status)).toEqual(all.map(() => 200));
    expect(all.every((r) => r.body.includes('data: [DONE]'))).toBe(true);
    const m = sim.stats().models[MODEL]!;
    expect(m.maxInFlight).toBeLessThanOrEqual(SLOTS);
    // The slots were used, not just respected.
    expect(m.maxInFlight).toBe(SLOTS);
    expect(await metric(replicas[0]!.url, 'puerta_slots_shared')).toBe(1);
  }, 60_000);

  it('a tenant flooding one replica does not starve another tenant on another replica', async () => {
    sim.resetStats();
    // 24 streams of ~0.4 s on 4 slots: six turns of the flood queued through replica 0.
    const flood = Array.from({ length: 24 }, () => stream(replicas[0]!.url, 'flood-co', 45));
    await sleep(300);
    const calm = await stream(replicas[1]!.url, 'calm-co', 45);
    const floods = await Promise.all(flood);
    expect(calm.status).toBe(200);
    expect(floods.every((f) => f.status === 200)).toBe(true);
    // One queue, fair between tenants: the calm request is served within about one slot turn,
    // ahead of most of the flood that was queued before it (per replica it would wait six turns).
    const after = floods.filter((f) => f.endedAt > calm.endedAt).length;
    const turn = Math.min(...floods.map((f) => f.ms));
    console.log(`[shared-slots fairness] calm request ${calm.ms} ms (one slot turn ≈ ${turn} ms, flood of 24 took up to ${Math.max(...floods.map((f) => f.ms))} ms); ${after}/24 flood requests ended after it`);
    expect(after).toBeGreaterThanOrEqual(12);
    expect(sim.stats().models[MODEL]!.maxInFlight).toBeLessThanOrEqual(SLOTS);
  }, 60_000);

  it('interactive work through one replica goes ahead of batch work queued through another', async () => {
    const batch = Array.from({ length: 16 }, () => stream(replicas[2]!.url, 'flood-co', 45, { 'x-priority': 'batch' }));
    await sleep(300);
    const interactive = await stream(replicas[1]!.url, 'flood-co', 45, { 'x-priority': 'interactive' });
    const batches = await Promise.all(batch);
    expect(interactive.status).toBe(200);
    expect(batches.filter((b) => b.endedAt > interactive.endedAt).length).toBeGreaterThanOrEqual(8);
  }, 60_000);

  it('kill -9 of a replica holding every slot: its slots come back within the lease TTL', async () => {
    const victim = replicas[2]!;
    // Two tenants: one tenant alone holds at most half of the slots (admission.tenantShare).
    const holders = Array.from({ length: SLOTS }, (_, i) => stream(victim.url, i % 2 ? 'flood-co' : 'calm-co', 100_000).catch(() => null));
    await until(() => sim.stats().models[MODEL]!.inFlight === SLOTS, 10_000);
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    await Promise.all(holders);
    const next = await stream(replicas[0]!.url, 'calm-co', 5);
    const waited = Date.now() - killedAt;
    expect(next.status).toBe(200);
    // Held in Redis until the dead replica's leases lapsed (the engine itself freed them at once)…
    expect(waited).toBeGreaterThanOrEqual(LEASE_TTL_MS / 3);
    // …and no longer than the TTL plus one poll and the request itself.
    expect(waited).toBeLessThan(LEASE_TTL_MS + 1_500);
    replicas[2] = await startReplica();
  }, 60_000);

  it('Redis restart: each replica falls back to slots / replicas, then shares again; nothing fails', async () => {
    const load = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => stream(replicas[i % 3]!.url, i % 2 ? 'flood-co' : 'calm-co', 40)));
    const during = load(24);
    await sleep(200);
    await redis.stop();
    await until(async () => (await metric(replicas[0]!.url, 'puerta_slots_shared')) === 0, 5_000);
    expect(await metric(replicas[0]!.url, 'puerta_slots_limit')).toBe(Math.floor(SLOTS / 3));
    expect((await during).every((r) => r.status === 200)).toBe(true);
    sim.resetStats();
    const outage = await load(12);
    expect(outage.every((r) => r.status === 200)).toBe(true);
    // Each replica admitted only its share; the engine saw at most one per replica.
    expect(sim.stats().models[MODEL]!.maxInFlight).toBeLessThanOrEqual(3);
    await redis.start();
    await until(async () => (await Promise.all(replicas.map((r) => metric(r.url, 'puerta_slots_shared')))).every((v) => v === 1), 10_000);
    sim.resetStats();
    const after = await load(24);
    expect(after.every((r) => r.status === 200)).toBe(true);
    const m = sim.stats().models[MODEL]!;
    expect(m.maxInFlight).toBeLessThanOrEqual(SLOTS);
    expect(m.maxInFlight).toBe(SLOTS);
  }, 90_000);
});
