import type { QuotaConfig } from './config.ts';

/**
 * Up-front token estimate from the raw body, without a second JSON parse: prompt ≈ bytes /
 * bytesPerToken (JSON overhead makes it generous, which is the safe side), completion = the
 * request's own cap (max_tokens, max_completion_tokens, num_predict) or the configured default.
 * Patterns cannot match inside JSON strings: a quote there is escaped (`\"`).
 */
const MAX_TOKENS_RE = /"(?:max_completion_tokens|max_tokens|num_predict)"\s*:\s*(\d+)/;
const STREAM_TRUE_RE = /"stream"\s*:\s*true/;
const STREAM_FALSE_RE = /"stream"\s*:\s*false/;
const MODEL_RE = /"model"\s*:\s*"((?:[^"\\]|\\.){1,256})"/;

export interface BodyFacts {
  promptEstimate: number;
  completionEstimate: number;
  stream: boolean;
  model: string | undefined;
}

export function bodyFacts(body: string, path: string, cfg: QuotaConfig['estimate']): BodyFacts {
  const embedding = path.endsWith('/embeddings') || path.endsWith('/embed');
  const cap = MAX_TOKENS_RE.exec(body);
  const stream = path.startsWith('/api/') ? !embedding && !STREAM_FALSE_RE.test(body) : STREAM_TRUE_RE.test(body);
  return {
    promptEstimate: Buffer.byteLength(body) / cfg.bytesPerToken,
    completionEstimate: embedding ? 0 : cap ? Number(cap[1]) : cfg.completionTokens,
    stream,
    model: MODEL_RE.exec(body)?.[1],
  };
}
