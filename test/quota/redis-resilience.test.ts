import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startRedis, startSentinel, type RedisServer } from '../helpers/redis.ts';
import { ADMIN, alternatingChats, chat, origin, sleep, until, usage } from './helpers.ts';
import { QuotaService } from '../../origin/quota/service.ts';
import { quotaConfigSchema } from '../../origin/quota/config.ts';
import { redisConfigSchema } from '../../origin/redis/config.ts';
import { openRedis } from '../../origin/redis/connection.ts';
import type { RequestRecord } from '../../origin/core/record.ts';
import { formatUsage, fetchUsage } from '../../scripts/usage.ts';

let sim: Simulator;
let redis: RedisServer;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.02, preloaded: ['llama3.2:3b'] });
  redis = await startRedis();
});
afterAll(async () => {
  await sim?.close();
  await redis?.close();
});

const rec = (id: string): RequestRecord => ({ requestId: id, route: '/v1/chat/completions', tenant: { id: 't', via: 'none' }, stream: true, receivedAt: Date.now(), bytesIn: 0, bytesOut: 0, keepalives: 0 });

describe('two origin replicas sharing one Redis', () => {
  it('enforce one global limit and report one usage', async () => {
    const cfg = { redis: { url: redis.url, keyPrefix: 'two:' }, quota: { defaults: { requestsPerMinute: 6 } } };
    const a = await origin(sim.url, cfg);
    const b = await origin(sim.url, cfg);
    try {
      const statuses = await alternatingChats(a, b, 10);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
      await until(async () => (await usage(b.url)).totals.requests === 10);
      const fromA = await usage(a.url);
      expect(fromA.totals).toMatchObject({ requests: 10, errors: 4, completionTokens: 30 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a dead replica’s stream leases lapse after the lease TTL', async () => {
    const quota = quotaConfigSchema.parse({ defaults: { concurrentStreams: 1 }, leaseTtlMs: 1_000 });
    const rcfg = redisConfigSchema.parse({ url: redis.url, keyPrefix: 'reap:' });
    const deadRedis = openRedis(rcfg, pino({ level: 'silent' }));
    const liveRedis = openRedis(rcfg, pino({ level: 'silent' }));
    const dead = new QuotaService(quota, deadRedis, pino({ level: 'silent' }));
    const live = new QuotaService(quota, liveRedis, pino({ level: 'silent' }));
    try {
      await dead.admit(rec('1'), { tenant: 't', promptEstimate: 1, completionEstimate: 1, stream: true });
      await dead.close();
      await deadRedis.close(); // the replica dies without settling: its lease is never released nor renewed
      await expect(live.admit(rec('2'), { tenant: 't', promptEstimate: 1, completionEstimate: 1, stream: true })).rejects.toMatchObject({ status: 429, code: 'concurrent_streams_exceeded' });
      await expect
        .poll(() => live.admit(rec('3'), { tenant: 't', promptEstimate: 1, completionEstimate: 1, stream: true }).then(() => true, () => false), { timeout: 5_000, interval: 100 })
        .toBe(true);
    } finally {
      await live.close();
      await liveRedis.close();
    }
  });

  it('a live replica renews its leases, so long streams keep theirs', async () => {
    const quota = quotaConfigSchema.parse({ defaults: { concurrentStreams: 1 }, leaseTtlMs: 1_000 });
    const rcfg = redisConfigSchema.parse({ url: redis.url, keyPrefix: 'renew:' });
    const aRedis = openRedis(rcfg, pino({ level: 'silent' }));
    const a = new QuotaService(quota, aRedis, pino({ level: 'silent' }));
    try {
      const r1 = rec('1');
      await a.admit(r1, { tenant: 't', promptEstimate: 1, completionEstimate: 1, stream: true });
      await sleep(1_600);
      await expect(a.admit(rec('2'), { tenant: 't', promptEstimate: 1, completionEstimate: 1, stream: true })).rejects.toMatchObject({ status: 429 });
      r1.publicModel = 'm';
      r1.outcome = 'ok';
      a.settle(r1);
      await until(async () => (await a.admit(rec('3'), { tenant: 't', promptEstimate: 1, completionEstimate: 1, stream: true }).then(() => true, () => false)));
    } finally {
      await a.close();
      await aRedis.close();
    }
  });
});

describe('Redis unavailable', () => {
  it('restart during traffic: requests keep flowing on the local limiter, counted, and Redis is used again once back', async () => {
    const o = await origin(sim.url, { redis: { url: redis.url, keyPrefix: 'rst:' }, quota: { defaults: { requestsPerMinute: 10_000 } } });
    try {
      let stop = false;
      const statuses: number[] = [];
      const durations: number[] = [];
      const traffic = (async () => {
        while (!stop) {
          const t0 = Date.now();
          const r = await chat(o.url);
          await r.text();
          statuses.push(r.status);
          durations.push(Date.now() - t0);
        }
      })();
      await expect.poll(() => statuses.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
      await redis.restart(700);
      await until(() => o.deps.quota!.snapshot().failover!.redisUp, 10_000);
      const back = statuses.length;
      await expect.poll(() => statuses.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(back + 3);
      stop = true;
      await traffic;
      const f = o.deps.quota!.snapshot().failover!;
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(f.outages).toBeGreaterThanOrEqual(1);
      expect(f.degradedDecisions).toBeGreaterThan(0);
      expect(f.redisErrors).toBeGreaterThan(0);
      expect(Math.max(...durations)).toBeLessThan(2_000);
      // Decisions are global again: the limiter's key is back in the restarted (empty) Redis.
      const before = f.degradedDecisions;
      const r = await chat(o.url);
      expect(r.status).toBe(200);
      await r.text();
      expect(o.deps.quota!.snapshot().failover!.degradedDecisions).toBe(before);
      expect(o.deps.quota!.snapshot().failover!.redisUp).toBe(true);
      // Usage seen during the outage was replayed into Redis.
      await until(async () => ((await usage(o.url)).totals.requests ?? 0) > 0);
      expect(f.usageBuffered).toBeGreaterThan(0);
    } finally {
      await o.close();
    }
  });

  it('a hung Redis (SIGSTOP) costs at most the command timeout, never a hang', async () => {
    const o = await origin(sim.url, { redis: { url: redis.url, keyPrefix: 'hang:', commandTimeoutMs: 150 }, quota: { defaults: { requestsPerMinute: 100 } } });
    try {
      await (await chat(o.url)).text();
      redis.pause();
      const t0 = Date.now();
      const r = await chat(o.url);
      await r.text();
      const took = Date.now() - t0;
      redis.resume();
      expect(r.status).toBe(200);
      expect(took).toBeLessThan(1_500);
      expect(o.deps.quota!.snapshot().failover!.degradedDecisions).toBeGreaterThan(0);
    } finally {
      redis.resume();
      await o.close();
    }
  });

  it('policy deny answers 503 with Retry-After when Redis is down', async () => {
    const down = await startRedis();
    const url = down.url;
    await down.close();
    const o = await origin(sim.url, { redis: { url, commandTimeoutMs: 100 }, quota: { onRedisDown: 'deny', defaults: { requestsPerMinute: 100 } } });
    try {
      const r = await chat(o.url);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('quota_store_unavailable');
    } finally {
      await o.close();
    }
  });
});

describe('Sentinel', () => {
  it('finds the master through redis-server --sentinel and limits through it', async () => {
    const sentinel = await startSentinel(redis);
    const o = await origin(sim.url, {
      redis: { mode: 'sentinel', sentinels: [{ host: '127.0.0.1', port: sentinel.port }], masterName: 'mymaster', keyPrefix: 'sen:' },
      quota: { defaults: { requestsPerMinute: 2 } },
    });
    try {
      const s = [];
      for (let i = 0; i < 3; i++) {
        const r = await chat(o.url);
        s.push(r.status);
        await r.text();
      }
      expect(s).toEqual([200, 200, 429]);
      expect(o.deps.quota!.snapshot().failover!.degradedDecisions).toBe(0);
      expect(execFileSync('redis-cli', ['-p', String(redis.port), 'exists', 'sen:{anonymous}:rq']).toString().trim()).toBe('1');
    } finally {
      await o.close();
      await sentinel.close();
    }
  });
});

describe('usage CLI', () => {
  it('prints usage per tenant, day and model from the admin API', async () => {
    const o = await origin(sim.url, { redis: { url: redis.url, keyPrefix: 'cli:' } });
    try {
      await (await chat(o.url, { tokens: 7 })).text();
      await until(async () => (await usage(o.url)).totals.requests === 1);
      const out = await fetchUsage({ url: o.url, token: ADMIN, tenant: 'anonymous' });
      const text = formatUsage(out.rows, out.totals);
      expect(text).toMatch(/anonymous\s+llama3\.2:3b\s+1\s+\d+\s+7\s+0/);
      await expect(fetchUsage({ url: o.url, token: 'wrong' })).rejects.toThrow(/401/);
    } finally {
      await o.close();
    }
  });
});
