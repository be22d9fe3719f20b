/**
 * `POST /v1/messages/count_tokens`: the engine counts, with its own tokenizer and chat template
 * (tools and system included), by reading the prompt and generating one token. The count is
 * exact for the model that would serve the request, and the work is metered like any prompt.
 */
import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { readJson } from '../../../http/read-json.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import { jsonExchange } from '../../../pipeline/exchange.ts';
import { chargeUsage } from '../../../core/record.ts';
import type { ResolvedModel } from '../../../upstream/registry.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { countTokensRequestSchema } from './schema.ts';
import { messagesToGeneration } from './to-generation.ts';

export function countTokens(deps: DialectDeps, route: RouteEntry) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await readJson(c, countTokensRequestSchema);
    const rec = c.get('record');
    const gen = { ...messagesToGeneration(req), stream: false };
    gen.sampling = { ...gen.sampling, maxTokens: 1 };
    const open = {
      model: gen.model,
      priority: route.priority,
      build: (t: ResolvedModel) => t.upstream.dialect.generate(gen, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg }),
    };
    const tokens = await jsonExchange(c, deps, open, async (opened) => {
      const r = await opened.upstream.dialect.result(opened, { requestId: rec.requestId });
      chargeUsage(rec, r.usage);
      return r.usage.promptTokens;
    });
    return sendJson(c, { input_tokens: tokens });
  };
}
