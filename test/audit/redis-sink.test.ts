import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { chatBody, readAuditRecords, tempDir } from './helpers.ts';
import { postJson } from '../helpers/request.ts';

describe('Redis Stream audit sink', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('ships each record to the stream, alongside the file; an outage is retried, not lost', async () => {
    const tmp = tempDir();
    const stack = await startOriginStack({
      sim: { timeScale: 0.02 },
      origin: { audit: { region: 'cr-sjo-1', batchWindowMs: 50, file: { dir: tmp.dir }, redis: { url: redis.url, region: 'cr-sjo-1', stream: 'audit:test' } } },
    });
    const send = async (id: string) =>
      (await postJson(stack.origin.url + '/v1/chat/completions', chatBody('hi [[sim:tokens=2]]'), { headers: { 'x-request-id': id } })).text();
    const streamIds = async () => {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        const entries = (await client.xrange('audit:test', '-', '+')) as Array<[string, string[]]>;
        return entries.map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);
      } finally {
        client.disconnect();
      }
    };
    try {
      await send('req-redis-000001');
      await send('req-redis-000002');
      await expect.poll(streamIds, { timeout: 5_000, interval: 50 }).toEqual(['req-redis-000001', 'req-redis-000002']);
      // Redis goes away: the file keeps the trail, the Redis batch waits and is retried.
      await redis.stop();
      await send('req-redis-000003');
      await expect.poll(async () => (await (await fetch(stack.origin.url + '/metrics')).text()), { timeout: 5_000, interval: 50 }).toMatch(/puerta_audit_sink_failures_total\{sink="redis"\} [1-9]/);
      await redis.start();
      // Redis restarted empty (no persistence in the test server): the retried batch is what it holds.
      await expect.poll(streamIds, { timeout: 10_000, interval: 100 }).toContain('req-redis-000003');
    } finally {
      await stack.close();
    }
    try {
      expect(readAuditRecords(tmp.dir).map((r) => r.id)).toEqual(['req-redis-000001', 'req-redis-000002', 'req-redis-000003']);
    } finally {
      tmp.cleanup();
    }
  });
});
