import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from '../../redis/client.ts';

export interface DrainTarget {
  setDrained(names: Iterable<string>): void;
}

/**
 * Which upstreams operators are draining, applied to this replica's router and, with Redis, to
 * every replica's: the set lives in one Redis set, and a change is announced on a channel each
 * replica listens to. Without Redis a drain applies to this replica only (the page says so).
 */
export class Drains {
  private names = new Set<string>();
  private subscriber: RedisClient | undefined;
  private readonly key: string;
  private readonly channel: string;

  constructor(
    private readonly router: DrainTarget,
    private readonly log: Logger,
    private readonly redis?: { client: RedisClient; keyPrefix: string },
  ) {
    this.key = `${redis?.keyPrefix ?? ''}console:drained`;
    this.channel = `${redis?.keyPrefix ?? ''}console:drained:changed`;
    if (!redis) return;
    const c = redis.client;
    // Its own connection that waits for Redis rather than failing fast (the shared client does not queue).
    const sub: RedisClient = (c as Cluster).isCluster
      ? (c as Cluster).duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...(c as Cluster).options.redisOptions, commandTimeout: undefined } })
      : (c as Redis).duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    this.subscriber = sub;
    sub.on('error', (err: Error) => log.debug({ err: err.message }, 'console: drain subscriber error'));
    sub.on('message', () => void this.reload());
    // On every (re)connection: subscribe, then read the set (a change missed while away is caught up).
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => this.reload(),
        (err: Error) => log.warn({ err: err.message }, 'console: cannot subscribe to drain changes'),
      );
    });
  }

  get shared(): boolean {
    return this.redis !== undefined;
  }

  current(): ReadonlySet<string> {
    return this.names;
  }

  private apply(names: Iterable<string>): void {
    this.names = new Set(names);
    this.router.setDrained(this.names);
  }

  private async reload(): Promise<void> {
    if (!this.redis) return;
    try {
      this.apply(await this.redis.client.smembers(this.key));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'console: cannot read the drained upstreams; keeping the last known set');
    }
  }

  /** Drains (or resumes) an upstream here at once, then everywhere through Redis. */
  async set(name: string, drained: boolean): Promise<void> {
    const next = new Set(this.names);
    if (drained) next.add(name);
    else next.delete(name);
    this.apply(next);
    if (!this.redis) return;
    const c = this.redis.client;
    await (drained ? c.sadd(this.key, name) : c.srem(this.key, name));
    await c.publish(this.channel, name);
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
