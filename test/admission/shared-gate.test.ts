import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { admissionConfigSchema } from '../../origin/admission/config.ts';
import { createAdmission, type CreatedAdmission } from '../../origin/admission/create.ts';
import type { AdmissionController } from '../../origin/admission/controller.ts';
import type { PriorityClass, QueueProbe } from '../../origin/core/admission.ts';
import { createRedisClient, type RedisClient } from '../../origin/redis/client.ts';
import { redisConfigSchema } from '../../origin/redis/config.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

const log = pino({ level: 'silent' });

/**
 * The shared slot queue in Redis, driven through two admission controllers (two replicas) on one
 * real redis-server: the order in which waiters are granted is deterministic, so fairness,
 * priority and multi-slot requests are checked exactly, not by timing.
 */
describe('slots shared through Redis: order of grants across replicas', () => {
  let redis: RedisServer;
  const made: Array<{ admission: CreatedAdmission; client: RedisClient }> = [];
  let prefix = 0;

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

  /** Two replicas' admission, sharing one key prefix on the one Redis; `commandTimeoutMs` for a test whose Redis answers late on purpose. */
  function replicas(admission: Record<string, unknown> = {}, commandTimeoutMs?: number): [AdmissionController, AdmissionController] {
    const keyPrefix = `sg${++prefix}:`;
    const cfg = admissionConfigSchema.parse({ defaultSlots: 4, queueWaitMs: 10_000, ...admission });
    const replica = () => {
      const client = createRedisClient(redisConfigSchema.parse({ url: redis.url, keyPrefix, ...(commandTimeoutMs ? { commandTimeoutMs } : {}) }), log);
      const admission = createAdmission(cfg, { client, keyPrefix, commandTimeoutMs: commandTimeoutMs ?? 1_000 }, log);
      made.push({ admission, client });
      return admission.admission as AdmissionController;
    };
    return [replica(), replica()];
  }

  /** Acquires and records the order of grants under `label`. */
  function take(c: AdmissionController, label: string, order: string[], opts: { tenant?: string; via?: 'none' | 'key'; priority?: PriorityClass; slots?: number; signal?: AbortSignal; preempt?: () => void } = {}) {
    return c
      .acquire({ upstream: 'u', model: 'm', tenant: { id: opts.tenant ?? 't', via: opts.via ?? 'none' }, priority: opts.priority ?? 'interactive', signal: opts.signal ?? new AbortController().signal, slots: opts.slots ?? 1, ...(opts.preempt ? { preempt: opts.preempt } : {}) })
      .then((release) => {
        order.push(label);
        return release;
      });
  }

  const settle = () => new Promise((r) => setTimeout(r, 150));

  it('a waiter in the shared queue knows its place as this replica sees it (interactive first), and loses it once granted', async () => {
    const [a] = replicas({ defaultSlots: 1 });
    const hold = await take(a, 'hold', []);
    const probes = { batch: {} as QueueProbe, first: {} as QueueProbe, second: {} as QueueProbe };
    const wait = (p: QueueProbe, priority: PriorityClass) => a.acquire({ upstream: 'u', model: 'm', tenant: { id: 't', via: 'none' }, priority, signal: new AbortController().signal, probe: p });
    const waits = [wait(probes.batch, 'batch'), wait(probes.first, 'interactive'), wait(probes.second, 'interactive')];
    const positions = () => [probes.batch, probes.first, probes.second].map((p) => p.standing?.()?.position);
    expect(positions()).toEqual([3, 1, 2]);
    hold();
    await expect.poll(positions).toEqual([2, undefined, 1]);
    // Out of the queue, the probe (kept as long as the stream) no longer holds the waiter.
    expect(probes.first.standing).toBeUndefined();
    expect(probes.second.standing).toBeTypeOf('function');
    // Granted in turn: each release lets the next in.
    for (const w of [waits[1]!, waits[2]!, waits[0]!]) (await w)();
  });

  it('a tenant queued behind another tenant’s flood on another replica waits one turn, not the flood', async () => {
    const [a, b] = replicas({ defaultSlots: 1 });
    const order: string[] = [];
    const pending = new Map<string, Promise<() => void>>();
    const releases = [await take(a, 'hold', order)];
    for (let i = 0; i < 5; i++) pending.set(`flood${i}`, take(a, `flood${i}`, order, { tenant: 'flood' }));
    await settle();
    pending.set('calm', take(b, 'calm', order, { tenant: 'calm' }));
    await settle();
    for (let i = 0; i < 6; i++) {
      releases.shift()!();
      await settle();
      releases.push(await pending.get(order[order.length - 1]!)!);
    }
    releases.forEach((r) => r());
    // The calm tenant shares the first turn with the flood's first request (equal tags), and is
    // never behind the rest of the flood queued before it.
    expect(order[0]).toBe('hold');
    expect(new Set(order.slice(1, 3))).toEqual(new Set(['flood0', 'calm']));
    expect(order.slice(3)).toEqual(['flood1', 'flood2', 'flood3', 'flood4']);
  });

  it('interactive through one replica before batch queued earlier through another; batch still gets its turn', async () => {
    const [a, b] = replicas({ defaultSlots: 1, interactiveWeight: 2 });
    const order: string[] = [];
    const releases: Array<() => void> = [await take(a, 'hold', order)];
    const waiting = [
      ...Array.from({ length: 3 }, (_, i) => take(a, `batch${i}`, order, { priority: 'batch' })),
    ];
    await settle();
    waiting.push(...Array.from({ length: 4 }, (_, i) => take(b, `int${i}`, order)));
    await settle();
    for (let i = 0; i < 7; i++) {
      releases.shift()!();
      await settle();
      const granted = order[order.length - 1]!;
      const idx = granted.startsWith('batch') ? Number(granted.slice(5)) : 3 + Number(granted.slice(3));
      releases.push(await waiting[idx]!);
    }
    // Two interactive in a row, then one batch (interactiveWeight 2), across replicas.
    expect(order).toEqual(['hold', 'int0', 'int1', 'batch0', 'int2', 'int3', 'batch1', 'batch2']);
    releases.forEach((r) => r());
  });

  it('an embedding batch occupies its slots in the shared count: the engine never holds more than the slots', async () => {
    const [a, b] = replicas({ defaultSlots: 4 });
    const order: string[] = [];
    const batch = await take(a, 'batch3', order, { slots: 3 });
    const two = take(b, 'two', order, { slots: 2 });
    await settle();
    expect(order).toEqual(['batch3']);
    const snap = () => [a, b].map((c) => c.snapshot()[0]!.active);
    expect(snap()).toEqual([3, 0]);
    batch();
    await two;
    expect(snap()).toEqual([0, 2]);
    // More slots than the engine has: it takes all of them, never waits forever.
    const huge = take(a, 'huge', order, { slots: 99 });
    await settle();
    expect(order).not.toContain('huge');
    (await two)();
    await huge;
    expect(snap()).toEqual([4, 0]);
  });

  it('a waiter that gives up (client gone) leaves the shared queue; the next one is granted', async () => {
    const [a, b] = replicas({ defaultSlots: 1 });
    const order: string[] = [];
    const hold = await take(a, 'hold', order);
    const ctl = new AbortController();
    const gone = take(b, 'gone', order, { signal: ctl.signal });
    const next = take(a, 'next', order);
    await settle();
    ctl.abort(new Error('client left'));
    await expect(gone).rejects.toThrow('client left');
    hold();
    await next;
    expect(order).toEqual(['hold', 'next']);
  });

  it('the scripts keep every key of a gate under the names and the one hash tag replicas of the previous release use, each with its TTL', async () => {
    const [a, b] = replicas({ defaultSlots: 2 });
    const hold = await take(a, 'hold', [], { slots: 2 });
    const ctl = new AbortController();
    const waits = [take(b, 'i', [], { signal: ctl.signal }), take(a, 'b', [], { priority: 'batch', signal: ctl.signal, preempt: () => {} })];
    await settle();
    const r = new Redis(redis.url);
    try {
      // The names the previous release passes as the scripts' eleven KEYS: `<prefix>slots:{<tag>}:<name>`.
      const names = ['leases', 'waiters', 'queue:i', 'queue:b', 'tags:i', 'tags:b', 'meta', 'weights', 'owners', 'tenants', 'stoppable'];
      const keys = await r.keys(`sg${prefix}:*`);
      const parsed = keys.map((k) => new RegExp(`^sg${prefix}:slots:\\{([0-9a-f]{16})\\}:(.+)$`).exec(k));
      expect(parsed.every((m) => m && names.includes(m[2]!)), keys.join(' ')).toBe(true);
      expect(new Set(parsed.map((m) => m![1])).size).toBe(1);
      // What the hold (two slots), an interactive waiter and a stoppable batch waiter leave in Redis.
      expect(new Set(parsed.map((m) => m![2]))).toEqual(new Set(['leases', 'waiters', 'queue:i', 'queue:b', 'tags:i', 'tags:b', 'meta', 'weights', 'stoppable']));
      for (const k of keys) expect(await r.pttl(k), k).toBeGreaterThan(0);
    } finally {
      r.disconnect();
    }
    ctl.abort();
    await Promise.allSettled(waits);
    hold();
  });

  it('slots released in one turn (given back in Redis together) each go to a waiter of another replica', async () => {
    const [a, b] = replicas({ defaultSlots: 3 });
    const order: string[] = [];
    const held = [await take(a, 'h0', order), await take(a, 'h1', order), await take(a, 'h2', order)];
    const waits = [take(b, 'w0', order), take(b, 'w1', order), take(b, 'w2', order)];
    await settle();
    expect(order).toEqual(['h0', 'h1', 'h2']);
    for (const release of held) release();
    const granted = await Promise.all(waits);
    expect(order.slice(3).sort()).toEqual(['w0', 'w1', 'w2']);
    const r = new Redis(redis.url);
    try {
      const [leases] = await r.keys(`sg${prefix}:slots:*leases`);
      expect(await r.zcard(leases!)).toBe(3);
    } finally {
      r.disconnect();
    }
    granted.forEach((release) => release());
  });

  it('a full shared queue answers 503 queue_full at once, whichever replica the waiters came through', async () => {
    const [a, b] = replicas({ defaultSlots: 1, maxQueue: 2 });
    const order: string[] = [];
    const hold = await take(a, 'hold', order);
    const w = [take(a, 'w0', order), take(b, 'w1', order)];
    await settle();
    await expect(take(b, 'w2', order)).rejects.toMatchObject({ status: 503, code: 'queue_full' });
    hold();
    (await w[0]!)();
    (await w[1]!)();
  });

  describe('scripts held up by a pause of Redis writes longer than the lease TTL (a Cluster failover) grant no more than the slots', () => {
    // CLUSTER FAILOVER pauses the old master's writes, scripts included, until its replica has
    // taken over (as CLIENT PAUSE WRITE does here); the scripts sent meanwhile all run after it.
    const PAUSE_MS = 2_500;
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(redis.url);
    });
    afterAll(() => admin.disconnect());
    /** Waiters in the shared interactive queue (every gate of this test's prefix). */
    const queued = async () => {
      let n = 0;
      for (const key of await admin.keys(`sg${prefix}:*slots:*queue:i`)) n += await admin.zcard(key);
      return n;
    };

    it('a slot freed during the pause goes to the one waiter; a request sent later in the pause waits', { timeout: 20_000 }, async () => {
      const [a] = replicas({ defaultSlots: 1, leaseTtlMs: 1_000 }, 5_000);
      const order: string[] = [];
      let inUse = 0;
      let most = 0;
      const counted = (label: string) =>
        take(a, label, order).then((release) => {
          most = Math.max(most, ++inUse);
          return () => {
            inUse--;
            release();
          };
        });
      const x = await counted('x');
      const y = counted('y');
      await expect.poll(queued).toBe(1);
      await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
      const pausedAt = Date.now();
      // x ends during the pause: its slot goes to y once Redis writes again.
      x();
      // z arrives once the pause has outlasted the lease TTL; its script runs after x's release.
      await expect.poll(() => Date.now() - pausedAt, { timeout: 2_000, interval: 50 }).toBeGreaterThan(1_300);
      const z = counted('z');
      const endY = await y;
      // z's script has run: it waits for y's slot (or, wrongly, was granted beside it).
      await expect.poll(async () => order.includes('z') || (await queued()) === 1, { timeout: 5_000 }).toBe(true);
      expect(order).toEqual(['x', 'y']);
      expect(most).toBe(1);
      endY();
      (await z)();
      expect(order).toEqual(['x', 'y', 'z']);
      expect(a.snapshot()[0]).toMatchObject({ scope: 'redis', active: 0 });
    });

    it('a lease held through the pause is not reaped for it: its holder could not renew it meanwhile', { timeout: 20_000 }, async () => {
      const [a, b] = replicas({ defaultSlots: 1, leaseTtlMs: 1_000 }, 5_000);
      const order: string[] = [];
      const x = await take(a, 'x', order);
      const y = take(b, 'y', order);
      await expect.poll(queued).toBe(1);
      await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
      // b's scripts are held up first, so they run first after the pause, before a's renewals of x.
      const z = take(b, 'z', order);
      await expect.poll(async () => order.includes('y') || (await queued()) === 2, { timeout: 6_000 }).toBe(true);
      expect(order).toEqual(['x']);
      x();
      (await y)();
      (await z)();
      expect(order).toEqual(['x', 'y', 'z']);
    });
  });

  describe('batch leases yield to interactive work on any replica (admission.preemptBatch)', () => {
    /**
     * A batch line as the runner holds one: its lease, and a stop that ends it (the runner aborts
     * the line, whose request then releases its slot) unless `endsOnStop` is false (a line that
     * has not ended yet).
     */
    async function line(c: AdmissionController, label: string, order: string[], endsOnStop = true) {
      const l = { stops: 0, release: (): void => {} };
      l.release = await take(c, label, order, {
        priority: 'batch',
        preempt: () => {
          l.stops++;
          if (endsOnStop) l.release();
        },
      });
      return l;
    }

    /** Batch leases Redis may still stop (every gate of this test's prefix). */
    async function stoppable(): Promise<number> {
      const r = new Redis(redis.url);
      try {
        let n = 0;
        for (const key of await r.keys(`sg${prefix}:*slots:*stoppable`)) n += await r.zcard(key);
        return n;
      } finally {
        r.disconnect();
      }
    }

    it('an interactive request through one replica stops the most recently granted batch lease of another and takes its slot', async () => {
      const [a, b] = replicas({ defaultSlots: 2 });
      const order: string[] = [];
      const first = await line(a, 'b1', order);
      const last = await line(a, 'b2', order);
      expect(await stoppable()).toBe(2);
      const i = await take(b, 'i', order);
      expect(order).toEqual(['b1', 'b2', 'i']);
      expect([first.stops, last.stops]).toEqual([0, 1]);
      // The stopped lease is gone from Redis; the other one may still be stopped.
      expect(await stoppable()).toBe(1);
      i();
      first.release();
      await expect.poll(stoppable).toBe(0);
    });

    it('one lease stopped per interactive waiter, however often the queue is dispatched', async () => {
      const [a, b] = replicas({ defaultSlots: 2 });
      const order: string[] = [];
      const lines = [await line(a, 'b1', order, false), await line(a, 'b2', order, false)];
      const i1 = take(b, 'i1', order);
      await expect.poll(() => lines.map((l) => l.stops)).toEqual([0, 1]);
      // Another batch request and the replicas' polls dispatch again: still one stop for one waiter.
      const more = take(a, 'b3', order, { priority: 'batch', preempt: () => {} });
      await settle();
      expect(lines.map((l) => l.stops)).toEqual([0, 1]);
      const i2 = take(b, 'i2', order);
      await expect.poll(() => lines.map((l) => l.stops)).toEqual([1, 1]);
      // The stopped lines end: their slots go to the interactive waiters, not to the batch one.
      lines[1]!.release();
      const end1 = await i1;
      lines[0]!.release();
      const end2 = await i2;
      expect(order).toEqual(['b1', 'b2', 'i1', 'i2']);
      end1();
      end2();
      (await more)();
      expect(lines.map((l) => l.stops)).toEqual([1, 1]);
      await expect.poll(stoppable).toBe(0);
    });

    it('an interactive request kept out by its own tenant’s share stops no batch lease', async () => {
      const [a, b] = replicas({ defaultSlots: 2 });
      const order: string[] = [];
      const mine = await take(b, 'f1', order, { tenant: 'flood', via: 'key' });
      const held = await line(a, 'b1', order);
      // Half of 2 slots: the tenant holds its one; a free slot would not let this one in.
      const capped = take(b, 'f2', order, { tenant: 'flood', via: 'key' });
      await settle();
      expect(held.stops).toBe(0);
      expect(order).toEqual(['f1', 'b1']);
      mine();
      (await capped)();
      held.release();
      expect(held.stops).toBe(0);
    });

    it('a lease released normally is not stopped, and nothing of it is left to stop', async () => {
      const [a, b] = replicas({ defaultSlots: 1 });
      const order: string[] = [];
      const done = await line(a, 'b1', order);
      done.release();
      await expect.poll(stoppable).toBe(0);
      (await take(b, 'i', order))();
      expect(done.stops).toBe(0);
      expect(order).toEqual(['b1', 'i']);
    });

    it('with preemption off, the interactive request waits for the batch lease to end', async () => {
      const [a, b] = replicas({ defaultSlots: 1, preemptBatch: false });
      const order: string[] = [];
      const held = await line(a, 'b1', order);
      expect(await stoppable()).toBe(0);
      const i = take(b, 'i', order);
      await settle();
      expect(order).toEqual(['b1']);
      expect(held.stops).toBe(0);
      held.release();
      (await i)();
      expect(order).toEqual(['b1', 'i']);
    });
  });

  describe('a tenant holds at most its share of the engine, counted across replicas', () => {
    /** What Redis counts per capped tenant, read as an operator would (every gate of this test's prefix). */
    async function tenantCounts(): Promise<Record<string, number>> {
      const r = new Redis(redis.url);
      try {
        const out: Record<string, number> = {};
        for (const key of await r.keys(`sg${prefix}:*slots:*tenants`)) for (const [t, n] of Object.entries(await r.hgetall(key))) out[t] = (out[t] ?? 0) + Number(n);
        // Requests of capped tenants Redis still knows (leases and waiters).
        let owners = 0;
        for (const key of await r.keys(`sg${prefix}:*slots:*owners`)) owners += await r.hlen(key);
        return owners > 0 ? { ...out, '(requests)': owners } : out;
      } finally {
        r.disconnect();
      }
    }

    it('half of 4 slots per tenant whichever replica its requests came through; the other tenant is served straight in', async () => {
      const [a, b] = replicas({ defaultSlots: 4 });
      const order: string[] = [];
      const key = (tenant: string) => ({ tenant, via: 'key' as const });
      const held = [await take(a, 'flood0', order, key('flood')), await take(b, 'flood1', order, key('flood'))];
      const third = take(a, 'flood2', order, key('flood'));
      const ctl = new AbortController();
      const fourth = take(b, 'flood3', order, { ...key('flood'), signal: ctl.signal });
      await settle();
      expect(order).toEqual(['flood0', 'flood1']);
      // Two slots free, the flood's waiters ahead: the calm tenant goes straight in, through either replica.
      held.push(await take(b, 'calm0', order, key('calm')), await take(a, 'calm1', order, key('calm')));
      expect(await tenantCounts()).toEqual({ flood: 2, calm: 2, '(requests)': 6 });
      // The flood's waiter that gives up leaves nothing; its own slot coming back admits the other.
      ctl.abort(new Error('client left'));
      await expect(fourth).rejects.toThrow('client left');
      held.shift()!();
      held.push(await third);
      expect(order).toEqual(['flood0', 'flood1', 'calm0', 'calm1', 'flood2']);
      for (const r of held) r();
      await expect.poll(tenantCounts).toEqual({});
    });

    it('after a Redis restart the replicas re-assert their leases with their tenants: the share holds again, and comes back to zero', { timeout: 20_000 }, async () => {
      const [a, b] = replicas({ defaultSlots: 4, leaseTtlMs: 1_000 });
      const order: string[] = [];
      const held = [await take(a, 'f0', order, { tenant: 'flood', via: 'key' }), await take(b, 'f1', order, { tenant: 'flood', via: 'key' })];
      await redis.restart();
      // Redis came back empty; the leases are re-asserted by the replicas that hold them.
      await expect.poll(tenantCounts, { timeout: 10_000 }).toEqual({ flood: 2, '(requests)': 2 });
      await expect.poll(() => [a, b].map((c) => c.snapshot()[0]!.scope), { timeout: 10_000 }).toEqual(['redis', 'redis']);
      const third = take(a, 'f2', order, { tenant: 'flood', via: 'key' });
      await settle();
      expect(order).toEqual(['f0', 'f1']);
      held.shift()!();
      held.push(await third);
      for (const r of held) r();
      await expect.poll(tenantCounts).toEqual({});
    });

    it('past the wait limit, a request kept out by its own tenant’s share gets 429 tenant_share_exceeded; one kept out by a busy model a 503', async () => {
      const [a, b] = replicas({ defaultSlots: 2, queueWaitMs: 700 });
      const order: string[] = [];
      const flood = await take(a, 'flood0', order, { tenant: 'flood', via: 'key' });
      await expect(take(b, 'flood1', order, { tenant: 'flood', via: 'key' })).rejects.toMatchObject({ status: 429, type: 'rate_limit_error', code: 'tenant_share_exceeded' });
      const calm = await take(b, 'calm0', order, { tenant: 'calm', via: 'key' });
      await expect(take(a, 'calm1', order, { tenant: 'other', via: 'key' })).rejects.toMatchObject({ status: 503, code: 'queue_wait_exceeded' });
      flood();
      calm();
      await expect.poll(tenantCounts).toEqual({});
    });

    it('a lapsed lease (a replica that died holding its tenant’s share) gives the share back', async () => {
      const [a, b] = replicas({ defaultSlots: 2, leaseTtlMs: 1_000 });
      const order: string[] = [];
      await take(a, 'dies', order, { tenant: 'flood', via: 'key' });
      const next = take(b, 'next', order, { tenant: 'flood', via: 'key' });
      await settle();
      expect(order).toEqual(['dies']);
      // Replica a stops renewing (its process died): the lease lapses and the share comes back.
      const dead = made.shift()!;
      await dead.admission.close();
      dead.client.disconnect();
      (await next)();
      expect(order).toEqual(['dies', 'next']);
      await expect.poll(tenantCounts).toEqual({});
    });
  });
});
