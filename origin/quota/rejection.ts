import { PuertaError } from '../../shared/errors.ts';
import type { TenantLimits } from './config.ts';
import { formatResetMs } from '../../shared/rate-limit-reset.ts';
import { rateLimitHeaders } from './headers.ts';
import type { Decision } from './types.ts';

function describe(d: Decision, l: TenantLimits, tenant: string): { code: string; message: string } {
  const wait = `try again in ${formatResetMs(d.retryAfterMs)}`;
  switch (d.reason) {
    case 'requests':
      return { code: 'rate_limit_exceeded', message: `Rate limit reached for tenant '${tenant}' on requests per minute (RPM): limit ${l.requestsPerMinute}; ${wait}.` };
    case 'tokens':
      return { code: 'rate_limit_exceeded', message: `Rate limit reached for tenant '${tenant}' on tokens per minute (TPM): limit ${l.tokensPerMinute}, remaining ${Math.max(0, d.tokensRemaining)} (this request is estimated from its size and max_tokens); ${wait}, or lower max_tokens.` };
    case 'daily_tokens':
      return { code: 'daily_token_budget_exceeded', message: `Daily token budget of tenant '${tenant}' is used up (limit ${l.dailyTokens} tokens per UTC day); it renews in ${formatResetMs(d.retryAfterMs)}.` };
    case 'concurrency':
      return { code: 'concurrent_streams_exceeded', message: `Tenant '${tenant}' already has ${l.concurrentStreams} streams open (the limit); close one or ${wait}.` };
    default:
      return { code: 'rate_limit_exceeded', message: `Rate limit reached for tenant '${tenant}'; ${wait}.` };
  }
}

/** The 429 of a refused decision: OpenAI-style body, Retry-After and the x-ratelimit-* headers. */
export function rateLimited(d: Decision, limits: TenantLimits, tenant: string): PuertaError {
  const { code, message } = describe(d, limits, tenant);
  return new PuertaError({
    status: 429,
    type: 'rate_limit_error',
    code,
    message,
    retryable: true,
    retryAfter: Math.max(1, Math.ceil(d.retryAfterMs / 1000)),
    headers: rateLimitHeaders(d, limits),
  });
}
