import { formatResetMs } from '../../shared/rate-limit-reset.ts';
import type { TenantLimits } from './config.ts';
import type { Decision } from './types.ts';


/**
 * The `x-ratelimit-*` headers OpenAI clients read (limit, remaining, reset for requests and for
 * tokens). A dimension without a limit has nothing to report and is left out.
 */
export function rateLimitHeaders(d: Decision, limits: TenantLimits, into: Record<string, string> = {}): Record<string, string> {
  if (limits.requestsPerMinute > 0) {
    into['x-ratelimit-limit-requests'] = String(limits.requestsPerMinute);
    into['x-ratelimit-remaining-requests'] = String(Math.max(0, d.requestsRemaining));
    into['x-ratelimit-reset-requests'] = formatResetMs(d.requestsResetMs);
  }
  if (limits.tokensPerMinute > 0) {
    into['x-ratelimit-limit-tokens'] = String(limits.tokensPerMinute);
    into['x-ratelimit-remaining-tokens'] = String(Math.max(0, d.tokensRemaining));
    into['x-ratelimit-reset-tokens'] = formatResetMs(d.tokensResetMs);
  }
  return into;
}
