/**
 * Fixed-window counter in a Fastly KV store, for runtimes where ERL does not count (Viceroy).
 * Each hit appends one byte to the window's entry (`mode: 'append'` is applied by the store, so
 * concurrent hits are not lost) and the entry's length is the count. Not for production: KV writes
 * to one key are rate limited and slow; ERL is the production path.
 */
import { KVStore } from 'fastly:kv-store';
import type { RateLimitRule } from '../../shared/tenants.ts';
import type { RateDecision, RateLimiter } from '../limits/limiter.ts';

export class FastlyKvWindowLimiter implements RateLimiter {
  readonly kind = 'fastly-kv-window';
  private readonly kv: KVStore;

  constructor(storeName: string) {
    this.kv = new KVStore(storeName);
  }

  async hit(key: string, rule: RateLimitRule): Promise<RateDecision> {
    const now = Date.now();
    const windowMs = rule.windowSeconds * 1000;
    const index = Math.floor(now / windowMs);
    const entryKey = `rl:${key}:${rule.windowSeconds}:${index}`;
    await this.kv.put(entryKey, '.', { mode: 'append', ttl: rule.windowSeconds * 2 });
    const entry = await this.kv.get(entryKey);
    const count = entry ? (await entry.text()).length : 1;
    const resetSeconds = ((index + 1) * windowMs - now) / 1000;
    return {
      allowed: count <= rule.requests,
      limit: rule.requests,
      remaining: Math.max(0, rule.requests - count),
      resetSeconds,
    };
  }
}
