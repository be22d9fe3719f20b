import { z } from 'zod';
import { redisConfigured, type RedisConfig } from '../redis/config.ts';

const count = z.coerce.number().int().nonnegative();

/**
 * One tenant's limits. 0 (or absent) means unlimited for that dimension, so an operator can
 * limit tokens without limiting requests. Windows are one minute (OpenAI's RPM/TPM) and one
 * UTC day for the budget.
 */
export const tenantLimitsSchema = z
  .object({
    requestsPerMinute: count.default(0),
    /** Prompt + completion tokens, charged from the engine's own counts (estimate up front). */
    tokensPerMinute: count.default(0),
    /** Streams open at once across every replica (leases with a TTL). */
    concurrentStreams: count.default(0),
    /** Optional daily token budget (UTC day). */
    dailyTokens: count.default(0),
  })
  .strict();
export type TenantLimits = z.infer<typeof tenantLimitsSchema>;

/** Only what differs from the defaults (no defaults of its own, or they would mask the tenant's). */
const tenantOverrideSchema = z
  .object({ requestsPerMinute: count.optional(), tokensPerMinute: count.optional(), concurrentStreams: count.optional(), dailyTokens: count.optional() })
  .strict();

export const quotaConfigSchema = z
  .object({
    /** `auto`: Redis when redis.url (or cluster/sentinel nodes) is set, else in-process (single replica). */
    store: z.enum(['auto', 'redis', 'memory']).default('auto'),
    defaults: tenantLimitsSchema.prefault({}),
    /** Tenant id → limits that differ from the defaults. */
    tenants: z.record(z.string().min(1), tenantOverrideSchema).default({}),
    /**
     * When Redis cannot answer: `local` limits each replica on its own (fail-open, the default),
     * `allow` lets everything through, `deny` answers 503. Every case is logged and counted.
     */
    onRedisDown: z.enum(['local', 'allow', 'deny']).default('local'),
    /** Lease of a concurrent stream: renewed while the stream runs, reaped this long after a replica dies. */
    leaseTtlMs: z.coerce.number().int().min(1_000).default(30_000),
    estimate: z
      .object({
        /** Up-front completion estimate when the request sets no max_tokens / num_predict. */
        completionTokens: count.default(256),
        /** Body bytes per prompt token for the up-front prompt estimate (JSON overhead makes it high, which is safe). */
        bytesPerToken: z.coerce.number().positive().default(4),
      })
      .prefault({}),
    /** Usage counters are kept this many days. */
    usageRetentionDays: z.coerce.number().int().min(1).max(3660).default(90),
  })
  .prefault({});
export type QuotaConfig = z.infer<typeof quotaConfigSchema>;

/**
 * Whether quotas live in Redis: always with store "redis", with "auto" when a Redis is configured.
 * The replica opens its one Redis connection only then (origin/node/server.ts); shared slots,
 * edge-signature nonces and the console use that same connection.
 */
export function quotaInRedis(cfg: Pick<QuotaConfig, 'store'>, redis: RedisConfig): boolean {
  return cfg.store === 'redis' || (cfg.store === 'auto' && redisConfigured(redis));
}

/** Environment variables of this section (env wins over the config file). */
export const QUOTA_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['QUOTA_STORE', 'quota.store'],
  ['QUOTA_ON_REDIS_DOWN', 'quota.onRedisDown'],
  ['QUOTA_REQUESTS_PER_MINUTE', 'quota.defaults.requestsPerMinute'],
  ['QUOTA_TOKENS_PER_MINUTE', 'quota.defaults.tokensPerMinute'],
  ['QUOTA_CONCURRENT_STREAMS', 'quota.defaults.concurrentStreams'],
  ['QUOTA_DAILY_TOKENS', 'quota.defaults.dailyTokens'],
  ['QUOTA_LEASE_TTL_MS', 'quota.leaseTtlMs'],
];
