import LRUCache from 'lru-cache';
import type { Logger } from 'pino';
import { readySoon, type RedisClient } from '../redis/client.ts';

/** Where a conversation's last turn was served: what affinity routing reads and writes. */
export interface AffinityStore {
  /** The upstream that served the conversation's last turn; undefined when unknown or expired. */
  get(session: string): Promise<string | undefined>;
  /** The conversation's turn went to `upstream` (fire and forget: routing never waits on it). */
  set(session: string, upstream: string): void;
}

export interface AffinityStoreOptions {
  ttlMs: number;
  maxSessions: number;
}

/**
 * Each replica's own memory: bounded (least recently used dropped first) and expiring. Alone
 * when no Redis is configured; under the Redis store, the copy answered while Redis is away.
 */
export class MemoryAffinityStore implements AffinityStore {
  private readonly lru: LRUCache<string, string>;
  constructor(opts: AffinityStoreOptions) {
    this.lru = new LRUCache<string, string>({ max: opts.maxSessions, ttl: opts.ttlMs, updateAgeOnGet: false });
  }
  get(session: string): Promise<string | undefined> {
    return Promise.resolve(this.lru.get(session));
  }
  peek(session: string): string | undefined {
    return this.lru.get(session);
  }
  set(session: string, upstream: string): void {
    this.lru.set(session, upstream);
  }
  get size(): number {
    return this.lru.size;
  }
}

/**
 * Affinity shared by every origin replica: `PX ttl` keys under the Redis key prefix, holding the
 * upstream's name against the conversation's digest (never any of its text). Each replica keeps
 * its own bounded copy too; while Redis is unreachable (or slower than its command timeout) the
 * copy answers, so routing never waits on Redis.
 */
export class RedisAffinityStore implements AffinityStore {
  private readonly local: MemoryAffinityStore;
  /**
   * What this replica itself wrote to Redis in the last tenth of the TTL. An agent's turns come
   * seconds apart: rewriting the same engine each turn only moved the key's expiry by those
   * seconds, one Redis command per request. Kept apart from `local`, which also holds what was
   * read from Redis (a key another replica may have written long ago, close to its expiry).
   */
  private readonly written: LRUCache<string, string>;
  private warned = false;
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly opts: AffinityStoreOptions,
    private readonly log: Logger,
    private readonly connectWaitMs = 250,
  ) {
    this.local = new MemoryAffinityStore(opts);
    this.written = new LRUCache<string, string>({ max: opts.maxSessions, ttl: Math.max(1, Math.floor(opts.ttlMs / 10)), updateAgeOnGet: false });
  }

  private key(session: string): string {
    return `${this.keyPrefix}affinity:${session}`;
  }

  async get(session: string): Promise<string | undefined> {
    try {
      const soon = readySoon(this.redis, this.connectWaitMs);
      if (soon !== true && !(await soon)) return this.local.peek(session);
      const v = await this.redis.get(this.key(session));
      this.warned = false;
      // Another replica moved the conversation (or the key is gone): this one's next turn writes again.
      if (v !== (this.written.peek(session) ?? null)) this.written.delete(session);
      if (v === null) return this.local.peek(session);
      this.local.set(session, v);
      return v;
    } catch (err) {
      this.outage(err);
      return this.local.peek(session);
    }
  }

  /** The key outlives the conversation's last turn by at least nine tenths of the TTL. */
  set(session: string, upstream: string): void {
    if (this.written.get(session) === upstream) return;
    this.local.set(session, upstream);
    if (this.redis.status !== 'ready') return;
    this.written.set(session, upstream);
    this.redis.set(this.key(session), upstream, 'PX', this.opts.ttlMs).catch((err: unknown) => {
      // Not written after all: the next turn writes it again.
      this.written.delete(session);
      this.outage(err);
    });
  }

  private outage(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn({ err: (err as Error).message }, 'redis unreachable: session affinity is per replica until it returns');
  }
}
