import type { RouteEntry } from '../../shared/routes.ts';
import type { QuotaConfig } from './config.ts';

/**
 * Up-front token estimate from the raw body, without a second JSON parse: prompt ≈ bytes /
 * bytesPerToken (JSON overhead makes it generous, which is the safe side), completion = the
 * request's own cap (each dialect's field: max_tokens, max_completion_tokens, max_output_tokens,
 * maxOutputTokens, num_predict) or the configured default. Patterns cannot match inside JSON strings: a quote
 * there is escaped (`\"`).
 */
const MAX_TOKENS_RE = /"(?:max_completion_tokens|max_output_tokens|max_tokens|maxOutputTokens|num_predict)"\s*:\s*(\d+)/;
const STREAM_TRUE_RE = /"stream"\s*:\s*true/;
const STREAM_FALSE_RE = /"stream"\s*:\s*false/;

export interface BodyFacts {
  promptEstimate: number;
  completionEstimate: number;
  stream: boolean;
}

export function bodyFacts(body: string, route: Pick<RouteEntry, 'metered' | 'streams'>, cfg: QuotaConfig['estimate']): BodyFacts {
  const cap = MAX_TOKENS_RE.exec(body);
  const stream = route.streams === 'always' || (route.streams === 'unless-false' ? !STREAM_FALSE_RE.test(body) : route.streams === 'if-true' && STREAM_TRUE_RE.test(body));
  return {
    promptEstimate: Buffer.byteLength(body) / cfg.bytesPerToken,
    completionEstimate: route.metered === 'embedding' ? 0 : cap ? Number(cap[1]) : cfg.completionTokens,
    stream,
  };
}
