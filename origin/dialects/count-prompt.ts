/**
 * Counting a prompt's tokens (the count-tokens routes of the client dialects that have one): the engine
 * counts, with its own tokenizer and chat template (tools and system included), by reading the
 * prompt and generating one token. The count is exact for the model that would serve the
 * request, and the work is metered like any prompt.
 */
import type { Context } from 'hono';
import type { RouteEntry } from '../../shared/routes.ts';
import type { DialectDeps } from './deps.ts';
import { jsonExchange } from '../pipeline/exchange.ts';
import { chargeUsage } from '../core/record.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import type { OriginEnv } from '../core/env.ts';
import type { Generation } from '../core/generation.ts';

export function countPromptTokens(c: Context<OriginEnv>, deps: DialectDeps, route: RouteEntry, conversation: Generation): Promise<number> {
  const rec = c.get('record');
  const gen: Generation = { ...conversation, stream: false, sampling: { ...conversation.sampling, maxTokens: 1 } };
  const open = {
    model: gen.model,
    priority: route.priority,
    build: (t: ResolvedModel) => t.upstream.dialect.generate(gen, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg }),
  };
  return jsonExchange(c, deps, open, async (opened) => {
    const r = await opened.upstream.dialect.result(opened, { requestId: rec.requestId });
    chargeUsage(rec, r.usage);
    return r.usage.promptTokens;
  });
}
