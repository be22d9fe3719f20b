import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import type { RunningOrigin } from '../../origin/node/server.ts';
import { chat, origin, sleep, until, usage } from './helpers.ts';
import { Redis } from 'ioredis';

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

describe.each(['memory', 'redis'] as const)('tenant limits (%s store)', (store) => {
  let o: RunningOrigin;
  const prefix = `t${Math.random().toString(36).slice(2, 8)}:`;
  beforeAll(async () => {
    o = await origin(sim.url, {
      quota: { store, defaults: { requestsPerMinute: 3, tokensPerMinute: 100_000 }, tenants: { anonymous: { concurrentStreams: 2 } } },
      ...(store === 'redis' ? { redis: { url: redis.url, keyPrefix: prefix } } : {}),
    });
  });
  afterAll(async () => o?.close());

  it('answers 429 with Retry-After, x-ratelimit-* headers and an OpenAI-style body', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await chat(o.url);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe(String(2 - i));
      await r.text();
    }
    const r = await chat(o.url);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (const dim of ['requests', 'tokens']) {
      expect(r.headers.get(`x-ratelimit-limit-${dim}`)).toBeTruthy();
      expect(r.headers.get(`x-ratelimit-remaining-${dim}`)).toBeTruthy();
      expect(r.headers.get(`x-ratelimit-reset-${dim}`)).toMatch(/^\d+(\.\d+)?(ms|s)$|^\d+m\d+s$/);
    }
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const body = (await r.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.message).toMatch(/requests per minute/);
  });

  it('counts usage per tenant, day and model from the engine’s own token counts, rejections as errors', async () => {
    await until(async () => (await usage(o.url)).totals.requests === 4);
    const u = await usage(o.url, '?tenant=anonymous&model=llama3.2:3b');
    expect(u.rows).toHaveLength(1);
    expect(u.rows[0]).toMatchObject({ tenant: 'anonymous', model: 'llama3.2:3b', requests: 4, completionTokens: 15, errors: 1 });
    expect(u.rows[0]!.promptTokens).toBeGreaterThan(0);
  });
});

describe('tokens per minute (redis)', () => {
  let o: RunningOrigin;
  beforeAll(async () => {
    o = await origin(sim.url, {
      redis: { url: redis.url, keyPrefix: 'tpm:' },
      quota: { defaults: { tokensPerMinute: 600 } },
    });
  });
  afterAll(async () => o?.close());

  it('charges an up-front estimate so a burst cannot overshoot, then settles to the real count', async () => {
    // max_tokens 250 + prompt ≈ 300 tokens estimated: the first two pass, the third cannot.
    const a = await chat(o.url, { maxTokens: 250, tokens: 3 });
    expect(a.status).toBe(200);
    const before = Number(a.headers.get('x-ratelimit-remaining-tokens'));
    await a.text();
    // Settled to the real (small) count: the refund makes room again.
    const client = new Redis(redis.url);
    await until(async () => (await client.get('tpm:{anonymous}:tk')) !== null);
    const b = await chat(o.url, { maxTokens: 250, tokens: 3 });
    expect(b.status).toBe(200);
    expect(Number(b.headers.get('x-ratelimit-remaining-tokens'))).toBeGreaterThan(before - 250);
    await b.text();
    const big = await chat(o.url, { maxTokens: 5000 });
    const c = await chat(o.url, { maxTokens: 500 });
    expect([big.status, c.status]).toContain(429);
    const refused = big.status === 429 ? big : c;
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/tokens per minute/);
    client.disconnect();
  });
});

describe('concurrent streams (redis leases)', () => {
  let o: RunningOrigin;
  beforeAll(async () => {
    o = await origin(sim.url, { redis: { url: redis.url, keyPrefix: 'conc:' }, quota: { defaults: { concurrentStreams: 2 } } });
  });
  afterAll(async () => o?.close());

  it('holds concurrent streams to the limit with leases released at the end (and on abort)', async () => {
    const ctl = new AbortController();
    const s1 = await chat(o.url, { stream: true, tokens: 20_000, signal: ctl.signal });
    const s2 = await chat(o.url, { stream: true, tokens: 2 });
    expect(s1.status).toBe(200);
    expect(s2.status).toBe(200);
    await s2.text();
    const s3 = await chat(o.url, { stream: true, tokens: 20_000 });
    // s2 finished: its lease is back, so s3 fits beside s1.
    expect(s3.status).toBe(200);
    const s4 = await chat(o.url, { stream: true, tokens: 2 });
    expect(s4.status).toBe(429);
    expect(((await s4.json()) as { error: { code: string } }).error.code).toBe('concurrent_streams_exceeded');
    ctl.abort();
    await s3.body?.cancel();
    await until(() => o.deps.quota!.snapshot().activeLeases === 0);
    const s5 = await chat(o.url, { stream: true, tokens: 2 });
    expect(s5.status).toBe(200);
    await s5.text();
  });
});

describe('daily token budget', () => {
  it('refuses once the UTC day’s budget is used and says when it renews', async () => {
    const o = await origin(sim.url, { redis: { url: redis.url, keyPrefix: 'day:' }, quota: { defaults: { dailyTokens: 50 } } });
    try {
      const a = await chat(o.url, { tokens: 60, maxTokens: 60 });
      expect(a.status).toBe(200);
      await a.text();
      await until(async () => (await usage(o.url)).totals.completionTokens === 60);
      const b = await chat(o.url);
      expect(b.status).toBe(429);
      const body = (await b.json()) as { error: { code: string } };
      expect(body.error.code).toBe('daily_token_budget_exceeded');
      expect(Number(b.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await o.close();
    }
  });
});
