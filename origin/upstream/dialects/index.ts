/** Upstream dialects by the `kind` an upstream is configured with: the one place kind is read. */
import type { UpstreamConfig } from '../../config/schema.ts';
import type { UpstreamDialect } from './dialect.ts';
import { ollamaUpstream } from './ollama/index.ts';
import { openaiUpstream } from './openai/index.ts';

const BY_KIND: Record<UpstreamConfig['kind'], UpstreamDialect> = {
  ollama: ollamaUpstream,
  openai: openaiUpstream,
};

export function upstreamDialect(kind: UpstreamConfig['kind']): UpstreamDialect {
  return BY_KIND[kind];
}
