import type { RouteEntry } from '../../shared/routes.ts';
import type { QuotaConfig } from './config.ts';

/** What the quota reads of a request, from the facts its dialect read once (origin/http/request-facts.ts). */
export interface BodyFacts {
  bytes: number;
  stream: boolean;
  /** The client's own cap on generated tokens, in its dialect's field. */
  maxTokens: number | undefined;
}

export interface TokenEstimate {
  promptEstimate: number;
  completionEstimate: number;
  stream: boolean;
}

/**
 * Up-front token estimate: prompt ≈ bytes / bytesPerToken (JSON overhead makes it generous, which
 * is the safe side), completion = the request's own cap or the configured default. A request
 * whose body was not read (none, or not a route-table POST) is estimated from nothing.
 */
export function tokenEstimate(facts: BodyFacts | undefined, route: Pick<RouteEntry, 'metered'>, cfg: QuotaConfig['estimate']): TokenEstimate {
  return {
    promptEstimate: (facts?.bytes ?? 0) / cfg.bytesPerToken,
    completionEstimate: route.metered === 'embedding' ? 0 : (facts?.maxTokens ?? cfg.completionTokens),
    stream: facts?.stream ?? false,
  };
}
