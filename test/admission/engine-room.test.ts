/**
 * The gate's side of holding work for a saturated engine, driven by EngineSaturation readings
 * given by hand (the poller's are in engine-saturation.test.ts, against the simulated vLLM).
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { admissionConfigSchema } from '../../origin/admission/config.ts';
import type { AdmissionController } from '../../origin/admission/controller.ts';
import { createAdmission, type CreatedAdmission } from '../../origin/admission/create.ts';
import { EngineSaturation } from '../../origin/admission/engine-room.ts';
import { Gate } from '../../origin/admission/gate.ts';
import { createRedisClient, type RedisClient } from '../../origin/redis/client.ts';
import { redisConfigSchema } from '../../origin/redis/config.ts';
import type { EngineLoad } from '../../origin/upstream/engine-load.ts';
import { PuertaError } from '../../shared/errors.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

const never = new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 0));
const load = (waiting: number, kvCacheUsage?: number): EngineLoad => ({
  running: 1,
  waiting,
  kvCacheUsage,
  prefixCacheQueries: undefined,
  prefixCacheHits: undefined,
  ttft: undefined,
  interToken: undefined,
});

const made: EngineSaturation[] = [];
afterEach(() => {
  for (const e of made.splice(0)) e.close();
});

function setup(staleMs = 60_000, waitMs = 10_000) {
  const engines = new EngineSaturation({ waiting: 0, kvCacheUsage: 0.95, staleMs });
  made.push(engines);
  const gate = new Gate({ label: "model 'm' on upstream 'u'", slots: 4, maxQueue: 100, waitMs: { interactive: waitMs, batch: waitMs }, interactiveWeight: 8, reserveInteractive: 0, engine: engines.room('u') });
  return { engines, gate };
}

describe('admission holds work while the engine says it is saturated', () => {
  it('reads saturation from waiting requests and KV-cache use, per upstream, above the limits only', () => {
    const { engines } = setup();
    engines.observe('u', load(0, 0.95));
    expect(engines.saturated('u')).toBeUndefined();
    engines.observe('u', load(0, 0.96));
    expect(engines.saturated('u')).toMatch(/96% of its KV cache in use \(admission.engineKvCacheLimit 0.95\)/);
    engines.observe('u', load(3, 0.1));
    expect(engines.saturated('u')).toMatch(/3 requests waiting in its own queue/);
    expect(engines.saturated('other')).toBeUndefined();
    // A failed poll (no reading) leaves the slots alone to decide.
    engines.observe('u', undefined);
    expect(engines.saturated('u')).toBeUndefined();
  });

  it('queues new requests though slots are free, and lets them in, interactive first, when a reading shows room', async () => {
    const { engines, gate } = setup();
    engines.observe('u', load(2));
    const order: string[] = [];
    const take = (tenant: string, cls: 'interactive' | 'batch') => gate.acquire(tenant, cls, never).then((r) => (order.push(`${tenant}/${cls}`), r));
    const held = [take('a', 'batch'), take('a', 'interactive'), take('b', 'interactive')];
    await tick();
    expect([gate.active, gate.queued, gate.stats.queuedEngineSaturated]).toEqual([0, 3, 3]);
    // Still saturated: a fresh reading saying so changes nothing.
    engines.observe('u', load(1));
    await tick();
    expect(gate.queued).toBe(3);
    engines.observe('u', load(0, 0.5));
    const releases = await Promise.all(held);
    // Interactive first (the two tenants in their turns), batch after.
    expect(order.slice(0, 2).sort()).toEqual(['a/interactive', 'b/interactive']);
    expect(order[2]).toBe('a/batch');
    expect([gate.active, gate.queued]).toEqual([3, 0]);
    for (const r of releases) r();
    expect(gate.active).toBe(0);
  });

  it('a slot released while the engine is still saturated admits nobody; the one that shows room does', async () => {
    const { engines, gate } = setup();
    const first = await gate.acquire('a', 'interactive', never);
    engines.observe('u', load(1));
    let second = false;
    const p = gate.acquire('b', 'interactive', never).then((r) => ((second = true), r));
    first();
    await tick();
    expect([gate.active, gate.queued, second]).toEqual([0, 1, false]);
    engines.observe('u', load(0));
    (await p)();
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });

  it('a stale reading does not hold anything: the queue goes in when the reading ages out', async () => {
    const { engines, gate } = setup(200);
    // A reading already past its age counts for nothing.
    engines.observe('u', load(5), Date.now() - 1_000);
    (await gate.acquire('a', 'interactive', never))();
    // A fresh one holds, until no newer reading comes for staleMs.
    engines.observe('u', load(5));
    const p = gate.acquire('a', 'interactive', never);
    await tick();
    expect(gate.queued).toBe(1);
    (await p)();
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });

  it('the wait limit and its 503 still apply, naming the engine\'s saturation; the slot count is untouched', async () => {
    const { engines, gate } = setup(60_000, 100);
    engines.observe('u', load(4));
    const err = await gate.acquire('a', 'interactive', never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PuertaError);
    expect(err).toMatchObject({ status: 503, code: 'queue_wait_exceeded' });
    expect((err as PuertaError).retryAfter).toBeGreaterThanOrEqual(1);
    expect((err as PuertaError).message).toMatch(/engine reports 4 requests waiting/);
    expect([gate.active, gate.queued, gate.stats.rejectedWaitLimit]).toEqual([0, 0, 1]);
  });

  it('a held request whose client leaves is gone from the queue and takes no slot', async () => {
    const { engines, gate } = setup();
    engines.observe('u', load(1));
    const ctl = new AbortController();
    const p = gate.acquire('a', 'interactive', ctl.signal).catch((e: unknown) => e);
    await tick();
    ctl.abort(new Error('client gone'));
    expect(await p).toMatchObject({ message: 'client gone' });
    engines.observe('u', load(0));
    expect([gate.active, gate.queued, gate.stats.cancelledWhileQueued]).toEqual([0, 0, 1]);
  });
});

describe('the Redis-shared gate holds work on the replica while the engine says it is saturated', () => {
  let redis: RedisServer;
  const made: Array<{ admission: CreatedAdmission; client: RedisClient }> = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.close());
  afterEach(async () => {
    for (const m of made.splice(0)) {
      await m.admission.close();
      m.client.disconnect();
    }
  });

  function shared(queueWaitMs: number) {
    const log = pino({ level: 'silent' });
    const keyPrefix = `er${made.length}${Date.now()}:`;
    const client = createRedisClient(redisConfigSchema.parse({ url: redis.url, keyPrefix }), log);
    const admission = createAdmission(admissionConfigSchema.parse({ defaultSlots: 2, queueWaitMs, scope: 'redis' }), { client, keyPrefix, commandTimeoutMs: 1_000 }, log);
    made.push({ admission, client });
    const c = admission.admission as AdmissionController;
    const take = (signal: AbortSignal = never) => c.acquire({ upstream: 'u', model: 'm', tenant: { id: 't', via: 'none' }, priority: 'interactive', signal });
    return { c, engines: admission.engines!, take, gate: () => c.snapshot()[0]! };
  }

  it('held requests that give up (client gone, wait limit) leave no slot behind; the rest go in when a reading shows room', async () => {
    const { engines, take, gate } = shared(300);
    // Straight in while the engine has room: the gate and its Redis keys exist, the slot goes back.
    (await take())();
    engines.observe('u', load(2));
    const ctl = new AbortController();
    const gone = take(ctl.signal).catch((e: unknown) => e);
    const late = take().catch((e: unknown) => e);
    await expect.poll(() => gate().queued).toBe(2);
    expect(gate()).toMatchObject({ active: 0, scope: 'redis', engineSaturated: expect.stringMatching(/2 requests waiting/) });
    ctl.abort(new Error('client gone'));
    expect(await gone).toMatchObject({ message: 'client gone' });
    const err = (await late) as PuertaError;
    expect(err).toMatchObject({ status: 503, code: 'queue_wait_exceeded' });
    expect(err.message).toMatch(/engine reports 2 requests waiting/);
    expect(gate()).toMatchObject({ active: 0, queued: 0 });
    // Two more held; room: both slots of the engine are free in Redis, so both go in at once.
    const a = take();
    const b = take();
    await expect.poll(() => gate().queued).toBe(2);
    engines.observe('u', load(0, 0.2));
    const releases = await Promise.all([a, b]);
    expect(gate()).toMatchObject({ active: 2, queued: 0 });
    expect(gate().stats.queuedEngineSaturated).toBe(4);
    for (const r of releases) r();
    expect(gate().active).toBe(0);
  });
});
