import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantLimitsSchema } from '../../origin/quota/config.ts';
import { MemoryQuotaStore } from '../../origin/quota/memory-store.ts';
import { RedisQuotaStore } from '../../origin/quota/redis-store.ts';
import type { QuotaStore, SettleInput } from '../../origin/quota/types.ts';
import { createRedisClient, type RedisClient } from '../../origin/redis/client.ts';
import { redisConfigSchema } from '../../origin/redis/config.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

/**
 * Decisions and settlements asked for in one turn of the event loop reach Redis as one script per
 * tenant and day (redis-store.ts): each one is still decided and counted, in the order asked, exactly as the
 * in-process store does.
 */
describe('quota decisions and settlements of one turn, sent together', () => {
  let redis: RedisServer;
  let client: RedisClient;
  beforeAll(async () => {
    redis = await startRedis();
    client = createRedisClient(redisConfigSchema.parse({ url: redis.url }), pino({ level: 'silent' }));
    if (client.status !== 'ready') await new Promise((ready) => client.once('ready', ready));
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });

  /** Two tenants' streams admitted, then all ended in the same turn. */
  async function run(store: QuotaStore): Promise<unknown> {
    const limits = tenantLimitsSchema.parse({ requestsPerMinute: 1000, tokensPerMinute: 100_000, dailyTokens: 1_000_000, concurrentStreams: 10 });
    const now = Date.now();
    const day = new Date(now).toISOString().slice(0, 10);
    const streams = [
      { tenant: 'a', model: 'm1', prompt: 10, completion: 5, error: false },
      { tenant: 'a', model: 'm1', prompt: 20, completion: 7, error: true },
      { tenant: 'a', model: 'm2', prompt: 30, completion: 0, error: false },
      { tenant: 'b', model: 'm1', prompt: 40, completion: 9, error: false },
    ].map((s, i) => ({ ...s, leaseId: `l${i}` }));
    for (const s of streams) {
      const d = await store.admit({ tenant: s.tenant, limits, now, estimate: 100, leaseId: s.leaseId, leaseTtlMs: 60_000, day });
      expect(d.allowed).toBe(true);
    }
    const settlements: SettleInput[] = streams.map((s) => {
      const tokens = s.prompt + s.completion;
      return { tenant: s.tenant, limits, now, tokenDelta: tokens - 100, dayDelta: tokens - 100, leaseId: s.leaseId, day, model: s.model, promptTokens: s.prompt, completionTokens: s.completion, error: s.error };
    });
    await Promise.all(settlements.map((s) => store.settle(s)));
    const rows = await store.usage({ from: day, to: day });
    // The leases are gone and the day's tokens are the real counts: a third stream of `a` is admitted against what is left.
    const next = await store.admit({ tenant: 'a', limits: { ...limits, concurrentStreams: 1 }, now, estimate: 0, leaseId: 'next', leaseTtlMs: 60_000, day });
    return { rows: rows.sort((x, y) => `${x.tenant}${x.model}`.localeCompare(`${y.tenant}${y.model}`)), concurrency: next.allowed, tokensRemaining: next.tokensRemaining };
  }

  it('decides the requests of one turn in the order they came, as the in-process store does', async () => {
    const decide = async (store: QuotaStore) => {
      const limits = tenantLimitsSchema.parse({ requestsPerMinute: 3, tokensPerMinute: 1_000, dailyTokens: 0, concurrentStreams: 0 });
      const now = Date.now();
      const day = new Date(now).toISOString().slice(0, 10);
      const ask = (tenant: string, estimate: number) => store.admit({ tenant, limits, now, estimate, leaseId: null, leaseTtlMs: 60_000, day });
      const all = await Promise.all([ask('a', 10), ask('b', 10), ask('a', 900), ask('a', 10), ask('a', 10), ask('b', 10)]);
      return all.map((d) => [d.allowed, d.reason, d.requestsRemaining, d.tokensRemaining]);
    };
    const remote = await decide(new RedisQuotaStore(client, 'ad:', 86_400));
    expect(remote).toEqual(await decide(new MemoryQuotaStore()));
    // a: the third request passes the tokens, the fourth is the third request of the minute, the fifth one too many.
    expect(remote.map((d) => d[0])).toEqual([true, true, true, true, false, true]);
  });

  it('counts every settlement of a tenant sent in one script, as the in-process store does', async () => {
    const store = new RedisQuotaStore(client, 'st:', 86_400);
    const admin = new Redis(redis.url);
    try {
      const scripts = async () => {
        const stats = await admin.info('commandstats');
        return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      };
      const before = await scripts();
      const remote = await run(store);
      expect(remote).toEqual(await run(new MemoryQuotaStore()));
      // 5 admits, then one settle script per tenant.
      expect((await scripts()) - before).toBe(5 + 2);
    } finally {
      admin.disconnect();
    }
  });

  it('renews every open stream\'s lease with one ZADD per tenant (at most 1,000 leases each), never adding one that ended', async () => {
    const store = new RedisQuotaStore(client, 'rn:', 86_400);
    const admin = new Redis(redis.url);
    try {
      const limits = tenantLimitsSchema.parse({ concurrentStreams: 5_000 });
      const now = Date.now();
      const day = new Date(now).toISOString().slice(0, 10);
      const leases = [...Array.from({ length: 2_100 }, (_, i) => ({ tenant: 'a', leaseId: `a${i}` })), ...Array.from({ length: 3 }, (_, i) => ({ tenant: 'b', leaseId: `b${i}` }))];
      await Promise.all(leases.map((l) => store.admit({ tenant: l.tenant, limits, now, estimate: 0, leaseId: l.leaseId, leaseTtlMs: 60_000, day })));
      const zadds = async () => Number(/cmdstat_zadd:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
      const before = await zadds();
      const expiresAt = now + 120_000;
      // b0 ended before the renewal: renewing it must not bring it back.
      await admin.zrem('rn:{b}:ls', 'b0');
      await store.renew(leases, expiresAt);
      expect((await zadds()) - before).toBe(3 + 1);
      const scores = await admin.zrange('rn:{a}:ls', '0', '-1', 'WITHSCORES');
      expect(scores.length).toBe(2 * 2_100);
      expect(new Set(scores.filter((_, i) => i % 2 === 1))).toEqual(new Set([String(expiresAt)]));
      expect(await admin.zrange('rn:{b}:ls', '0', '-1')).toEqual(['b1', 'b2']);
      for (const key of ['rn:{a}:ls', 'rn:{b}:ls']) expect(await admin.pttl(key)).toBeGreaterThan(200_000);
    } finally {
      admin.disconnect();
    }
  });
});
