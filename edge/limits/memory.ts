/**
 * Portable fixed-window counter in the instance's memory. Exact within one isolate (Workers,
 * Node, Miniflare), useless on Fastly where every request gets a fresh instance, so Fastly never
 * uses it. Old windows are swept lazily so memory stays bounded by the active tenants.
 */
import type { RateLimitRule } from '../../shared/tenants.ts';
import type { RateDecision, RateLimiter } from './limiter.ts';

export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory';
  private readonly windows = new Map<string, { start: number; count: number; windowMs: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async hit(key: string, rule: RateLimitRule): Promise<RateDecision> {
    const now = this.now();
    const windowMs = rule.windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, count: 0, windowMs };
      this.windows.set(key, w);
    }
    const resetSeconds = (start + windowMs - now) / 1000;
    if (w.count >= rule.requests) {
      return { allowed: false, limit: rule.requests, remaining: 0, resetSeconds };
    }
    w.count++;
    return { allowed: true, limit: rule.requests, remaining: rule.requests - w.count, resetSeconds };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.start + w.windowMs <= now) this.windows.delete(k);
  }
}
