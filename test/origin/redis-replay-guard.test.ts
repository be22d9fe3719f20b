import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisReplayGuard } from '../../origin/auth/redis-replay-guard.ts';
import { createRedisClient, type RedisClient } from '../../origin/redis/client.ts';
import { redisConfigSchema } from '../../origin/redis/config.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

/**
 * The nonces one replica checks in one turn of the event loop go to Redis as one script per
 * tenant (redis-replay-guard.ts): each is still remembered on its own, and a nonce another
 * replica has seen is refused, whichever turn it came in.
 */
describe('edge-signature nonces checked together in Redis', () => {
  let redis: RedisServer;
  let client: RedisClient;
  let admin: Redis;
  const log = pino({ level: 'silent' });
  beforeAll(async () => {
    redis = await startRedis();
    client = createRedisClient(redisConfigSchema.parse({ url: redis.url }), log);
    admin = new Redis(redis.url);
    if (client.status !== 'ready') await new Promise((ready) => client.once('ready', ready));
  });
  afterAll(async () => {
    client?.disconnect();
    admin?.disconnect();
    await redis?.close();
  });

  const nonces = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-nonce-${String(i).padStart(8, '0')}`);

  it('every nonce of a turn is remembered: another replica refuses each, and a fresh one of its own passes', async () => {
    const a = new RedisReplayGuard(client, 'rg:', log);
    const b = new RedisReplayGuard(client, 'rg:', log);
    const seen = nonces(5, 'turn');
    expect(await Promise.all([...seen.map((n) => a.remember(n, 60_000, 'acme')), a.remember('other-tenant-nonce1', 60_000, 'beta')])).toEqual([true, true, true, true, true, true]);
    expect(await Promise.all([...seen.map((n) => b.remember(n, 60_000, 'acme')), b.remember('fresh-nonce-00000001', 60_000, 'acme')])).toEqual([false, false, false, false, false, true]);
    // Kept under the tenant's hash tag for no longer than the signature's window.
    const ttl = await admin.pttl(`rg:nonce:{acme}:${seen[0]}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('the same nonce at two replicas in the same turn passes at one of them only', async () => {
    const [a, b] = [new RedisReplayGuard(client, 'rg2:', log), new RedisReplayGuard(client, 'rg2:', log)];
    const [n] = nonces(1, 'race');
    const answers = await Promise.all([a.remember(n!, 60_000, 'acme'), b.remember(n!, 60_000, 'acme')]);
    expect(answers.sort()).toEqual([false, true]);
  });
});
