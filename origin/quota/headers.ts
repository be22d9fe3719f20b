import { formatResetMs } from '../../shared/rate-limit-reset.ts';
import type { TenantLimits } from './config.ts';
import type { Decision } from './types.ts';

/** Where the headers go: a response's Headers, or a record (rateLimitHeaders). */
export interface HeaderTarget {
  set(name: string, value: string): void;
}

/**
 * The `x-ratelimit-*` headers OpenAI clients read (limit, remaining, reset for requests and for
 * tokens), set on `into` one by one (no record made per request only to be copied). A dimension
 * without a limit has nothing to report and is left out.
 */
export function setRateLimitHeaders(d: Decision, limits: TenantLimits, into: HeaderTarget): void {
  if (limits.requestsPerMinute > 0) {
    into.set('x-ratelimit-limit-requests', String(limits.requestsPerMinute));
    into.set('x-ratelimit-remaining-requests', String(Math.max(0, d.requestsRemaining)));
    into.set('x-ratelimit-reset-requests', formatResetMs(d.requestsResetMs));
  }
  if (limits.tokensPerMinute > 0) {
    into.set('x-ratelimit-limit-tokens', String(limits.tokensPerMinute));
    into.set('x-ratelimit-remaining-tokens', String(Math.max(0, d.tokensRemaining)));
    into.set('x-ratelimit-reset-tokens', formatResetMs(d.tokensResetMs));
  }
}

/** The same headers as a record (a 429's). */
export function rateLimitHeaders(d: Decision, limits: TenantLimits, into: Record<string, string> = {}): Record<string, string> {
  setRateLimitHeaders(d, limits, { set: (name, value) => (into[name] = value) });
  return into;
}
