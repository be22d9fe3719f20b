import type { Logger } from 'pino';
import { readySoon, type RedisClient } from '../redis/client.ts';
import { MemoryReplayGuard, type ReplayGuard } from './edge-signature.ts';

/**
 * Nonces shared by every origin replica (`SET key 1 NX PX ttl`), so a signed request captured
 * on the way to one replica cannot be replayed to another. While Redis is unreachable each
 * replica still refuses what it has seen itself: replay protection degrades to per-replica,
 * never to none, and no request waits on Redis longer than its command timeout.
 */
export class RedisReplayGuard implements ReplayGuard {
  private readonly local = new MemoryReplayGuard();
  private warned = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly log: Logger,
    /** Longest a check waits for the first connection (a replica that just started must not fail open). */
    private readonly connectWaitMs = 250,
  ) {}

  async remember(nonce: string, ttlMs: number): Promise<boolean> {
    const fresh = this.local.remember(nonce, ttlMs);
    if (!fresh) return false;
    try {
      const soon = readySoon(this.redis, this.connectWaitMs);
      if (soon !== true) await soon;
      const set = await this.redis.set(`${this.keyPrefix}nonce:${nonce}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      this.warned = false;
      return set === 'OK';
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        this.log.warn({ err: (err as Error).message }, 'redis unreachable: edge-signature replay protection is per replica until it returns');
      }
      return true;
    }
  }
}
