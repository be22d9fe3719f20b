import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from './config.ts';

export type RedisClient = Redis | Cluster;

/**
 * One ioredis client for the configured topology. Decisions must never wait on a Redis that is
 * not there: no offline queue (commands fail at once while disconnected), a short command
 * timeout, no per-command retries; reconnection runs in the background with a capped backoff.
 *
 * No auto-pipelining: the request path already sends one command per group and turn of the
 * event loop (./turn-batches.ts), so ioredis's own per-turn batch only added a Pipeline (with its
 * promise, maps and result array) per turn that lived until Redis answered. Opening a burst of
 * streams, those outlived two young-generation collections and were promoted: 1.5-3.6 KiB of
 * old-space garbage per stream opened (npm run bench:relay, section C, before and after in one
 * run), and more CPU per request (section A, in the same runs: 1.94-2.07x the pipe's with it,
 * 1.73-1.85x without).
 */
export function createRedisClient(cfg: RedisConfig, log: Logger): RedisClient {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: cfg.commandTimeoutMs,
    connectTimeout: cfg.connectTimeoutMs,
    enableAutoPipelining: false,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    ...(cfg.username ? { username: cfg.username } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...(cfg.tls ? { tls: {} } : {}),
  };
  let client: RedisClient;
  if (cfg.mode === 'cluster') {
    const seeds = cfg.nodes.length > 0 ? cfg.nodes : [cfg.url!];
    client = new Cluster(seeds, {
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 2_000),
      redisOptions: common,
    });
  } else if (cfg.mode === 'sentinel') {
    client = new Redis({
      ...common,
      sentinels: cfg.sentinels,
      name: cfg.masterName,
      ...(cfg.sentinelPassword ? { sentinelPassword: cfg.sentinelPassword } : {}),
      sentinelRetryStrategy: (times: number) => Math.min(100 * times, 2_000),
    });
  } else {
    client = new Redis(cfg.url!, common);
  }
  // ioredis reports every failed reconnect as an 'error' event; the quota service logs outages once.
  client.on('error', (err: Error) => log.debug({ err: err.message }, 'redis client error'));
  return client;
}

/**
 * True when the client is ready; while its first connection is still being made, a promise of
 * whether it became ready within `ms`; false during a known outage (reconnecting, ended), so a
 * request never waits on a Redis that is not there.
 */
export function readySoon(client: RedisClient, ms: number): boolean | Promise<boolean> {
  if (client.status === 'ready') return true;
  const status = client.status;
  if (status !== 'wait' && status !== 'connecting' && status !== 'connect') return false;
  return new Promise<boolean>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve(client.status === 'ready');
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}
