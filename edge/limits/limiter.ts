/**
 * Per-tenant request limits at the edge. Each runtime brings its own counter (Fastly Edge Rate
 * Limiting, the Workers rate-limit binding, or the portable in-memory window); the core only sees
 * a decision and turns it into OpenAI-style headers.
 */
import { formatResetMs } from '../../shared/rate-limit-reset.ts';
import type { RateLimitRule } from '../../shared/tenants.ts';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the window; null when the counter cannot tell (Workers binding). */
  remaining: number | null;
  /** Seconds until the window (or penalty) ends. */
  resetSeconds: number;
}

export interface RateLimiter {
  readonly kind: string;
  hit(key: string, rule: RateLimitRule): Promise<RateDecision>;
}

export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const h: Record<string, string> = {
    'x-ratelimit-limit-requests': String(d.limit),
    // Whole seconds: the edge's windows are counted in seconds, and Retry-After says the same.
    'x-ratelimit-reset-requests': formatResetMs(Math.ceil(d.resetSeconds) * 1_000),
  };
  const remaining = d.allowed ? d.remaining : 0;
  if (remaining !== null) h['x-ratelimit-remaining-requests'] = String(Math.max(0, remaining));
  return h;
}

/** Both must allow; the stricter numbers are reported. */
export function combine(a: RateDecision, b: RateDecision): RateDecision {
  if (a.allowed !== b.allowed) return a.allowed ? b : a;
  const rem = a.remaining === null ? b.remaining : b.remaining === null ? a.remaining : Math.min(a.remaining, b.remaining);
  return {
    allowed: a.allowed,
    limit: Math.min(a.limit, b.limit),
    remaining: rem,
    resetSeconds: Math.max(a.resetSeconds, b.resetSeconds),
  };
}
