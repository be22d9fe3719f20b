import type { TenantLimits } from './config.ts';
import type { Decision } from './types.ts';

/** OpenAI's reset format: `20ms`, `1.5s`, `6m0s`. */
export function formatReset(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1_000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms - m * 60_000) / 1_000)}s`;
}

/**
 * The `x-ratelimit-*` headers OpenAI clients read (limit, remaining, reset for requests and for
 * tokens). A dimension without a limit has nothing to report and is left out.
 */
export function rateLimitHeaders(d: Decision, limits: TenantLimits, into: Record<string, string> = {}): Record<string, string> {
  if (limits.requestsPerMinute > 0) {
    into['x-ratelimit-limit-requests'] = String(limits.requestsPerMinute);
    into['x-ratelimit-remaining-requests'] = String(Math.max(0, d.requestsRemaining));
    into['x-ratelimit-reset-requests'] = formatReset(d.requestsResetMs);
  }
  if (limits.tokensPerMinute > 0) {
    into['x-ratelimit-limit-tokens'] = String(limits.tokensPerMinute);
    into['x-ratelimit-remaining-tokens'] = String(Math.max(0, d.tokensRemaining));
    into['x-ratelimit-reset-tokens'] = formatReset(d.tokensResetMs);
  }
  return into;
}
