import type { Logger } from 'pino';
import { createRedisClient, type RedisClient } from './client.ts';
import type { RedisConfig } from './config.ts';

/**
 * The replica's one Redis connection, opened and closed where the origin is built
 * (origin/node/server.ts). Quotas, shared engine slots, edge-signature nonces and the console
 * are handed it; none of them opens or closes it.
 */
export interface RedisConnection {
  readonly client: RedisClient;
  /** Prefix of every key and channel (one Redis may serve several deployments). */
  readonly keyPrefix: string;
  /** How long a decision waits on Redis before it goes on without it. */
  readonly commandTimeoutMs: number;
  readonly mode: RedisConfig['mode'];
  /** Drops the connection; call after everything that uses it has stopped. */
  close(): Promise<void>;
}

export function openRedis(cfg: RedisConfig, log: Logger): RedisConnection {
  const client = createRedisClient(cfg, log);
  return {
    client,
    keyPrefix: cfg.keyPrefix,
    commandTimeoutMs: cfg.commandTimeoutMs,
    mode: cfg.mode,
    close: async () => client.disconnect(),
  };
}
