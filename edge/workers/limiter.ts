/**
 * Workers: the rate-limit binding counts per Cloudflare location across isolates, but its limit
 * and period are fixed in wrangler config and it answers only yes/no. Per-tenant numbers (the
 * tenant record's rule, and what x-ratelimit-remaining needs) come from the isolate's memory
 * window; a request must pass both. The binding is the shared ceiling, the memory window the
 * tenant-specific (per-isolate) limit.
 */
import type { RateLimitRule } from '../../shared/tenants.ts';
import { combine, type RateDecision, type RateLimiter } from '../limits/limiter.ts';
import { MemoryRateLimiter } from '../limits/memory.ts';
import type { RateLimitBinding } from './bindings.ts';

const memory = new MemoryRateLimiter();

export function workersLimiter(binding: RateLimitBinding | undefined, bindingLimit: number, bindingPeriod: number): RateLimiter {
  if (!binding) return memory;
  return {
    kind: 'workers-binding+memory',
    async hit(key: string, rule: RateLimitRule): Promise<RateDecision> {
      const { success } = await binding.limit({ key });
      const fromBinding: RateDecision = {
        allowed: success,
        limit: bindingLimit,
        remaining: null,
        resetSeconds: bindingPeriod,
      };
      // Only count in memory what the binding let through, so a refused request costs nothing twice.
      if (!success) return combine(fromBinding, { allowed: true, limit: rule.requests, remaining: null, resetSeconds: 0 });
      return combine(fromBinding, await memory.hit(key, rule));
    },
  };
}
