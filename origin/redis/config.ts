import { z } from 'zod';

const hostPort = z.object({ host: z.string().min(1), port: z.coerce.number().int().min(1).max(65535) });

/** `host:port,host:port` from an environment variable, or an array from the config file. */
const nodeList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => {
            const i = s.lastIndexOf(':');
            return i > 0 ? { host: s.slice(0, i), port: s.slice(i + 1) } : { host: s, port: '' };
          })
      : v,
  z.array(hostPort),
);

/**
 * Redis used for global limits and usage. Standalone by URL, Cluster by seed nodes, Sentinel by
 * sentinels plus master name: all three through ioredis. Commands time out fast and are never
 * queued while disconnected, so a request never waits on a Redis that is not there.
 */
export const redisConfigSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL (redis://host:6379/0)')
      .optional(),
    mode: z.enum(['standalone', 'cluster', 'sentinel']).default('standalone'),
    /** Cluster seed nodes. */
    nodes: nodeList.default([]),
    /** Sentinel addresses. */
    sentinels: nodeList.default([]),
    /** Sentinel master name. */
    masterName: z.string().min(1).default('mymaster'),
    username: z.string().optional(),
    password: z.string().optional(),
    sentinelPassword: z.string().optional(),
    tls: z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean()).default(false),
    keyPrefix: z.string().default('puerta:'),
    /** Longest a limiter decision may wait on Redis before the configured fail policy applies. */
    commandTimeoutMs: z.coerce.number().int().min(10).max(10_000).default(250),
    connectTimeoutMs: z.coerce.number().int().min(50).default(1_000),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.mode === 'cluster' && r.nodes.length === 0 && !r.url) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'cluster mode needs seed nodes (REDIS_CLUSTER_NODES=host:port,host:port) or redis.url' });
    }
    if (r.mode === 'sentinel' && r.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'sentinel mode needs sentinels (REDIS_SENTINELS=host:26379,host:26379)' });
    }
  });
export type RedisConfig = z.infer<typeof redisConfigSchema>;

/** Whether any Redis is configured at all. */
export function redisConfigured(r: RedisConfig): boolean {
  return !!r.url || r.nodes.length > 0 || r.sentinels.length > 0;
}

export const REDIS_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['REDIS_URL', 'redis.url'],
  ['REDIS_MODE', 'redis.mode'],
  ['REDIS_CLUSTER_NODES', 'redis.nodes'],
  ['REDIS_SENTINELS', 'redis.sentinels'],
  ['REDIS_SENTINEL_MASTER', 'redis.masterName'],
  ['REDIS_USERNAME', 'redis.username'],
  ['REDIS_PASSWORD', 'redis.password'],
  ['REDIS_SENTINEL_PASSWORD', 'redis.sentinelPassword'],
  ['REDIS_TLS', 'redis.tls'],
  ['REDIS_KEY_PREFIX', 'redis.keyPrefix'],
  ['REDIS_COMMAND_TIMEOUT_MS', 'redis.commandTimeoutMs'],
];
