/**
 * Fastly's Edge Rate Limiting: a rate counter plus a penalty box, per POP. ERL works in average
 * requests per second over 10 s or 60 s windows and cannot express less than 1 RPS, so a
 * tenant's `requests/windowSeconds` is rounded up to at least 1 RPS here; exact, global numbers
 * are the origin's job (Redis). An offender stays in the penalty box for one minute (ERL's least).
 *
 * Viceroy stubs ERL (check_rate always answers "not limited", counters read 0); with
 * RATE_LIMIT_FALLBACK=kv the KV window counter (kv-limiter.ts) is consulted as well.
 */
import { EdgeRateLimiter, PenaltyBox, RateCounter } from 'fastly:edge-rate-limiter';
import type { RateLimitRule } from '../../shared/tenants.ts';
import type { RateDecision, RateLimiter } from '../limits/limiter.ts';

const PENALTY_MINUTES = 1;

export class FastlyErlLimiter implements RateLimiter {
  readonly kind = 'fastly-erl';
  private readonly counter = new RateCounter('puerta_tenants_rc');
  private readonly erl = new EdgeRateLimiter(this.counter, new PenaltyBox('puerta_tenants_pb'));

  async hit(key: string, rule: RateLimitRule): Promise<RateDecision> {
    const rps = Math.max(1, Math.ceil(rule.requests / rule.windowSeconds));
    const limited = this.erl.checkRate(key, 1, rule.windowSeconds, rps, PENALTY_MINUTES);
    const count = this.counter.lookupCount(key, rule.windowSeconds === 10 ? 10 : 60);
    return {
      allowed: !limited,
      limit: rule.requests,
      remaining: Math.max(0, rule.requests - count),
      resetSeconds: limited ? PENALTY_MINUTES * 60 : rule.windowSeconds,
    };
  }
}
