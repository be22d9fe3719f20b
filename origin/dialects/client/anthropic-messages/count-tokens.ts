/**
 * `POST /v1/messages/count_tokens`: the engine counts, with its own tokenizer and chat template
 * (tools and system included), by reading the prompt and generating one token. The count is
 * exact for the model that would serve the request, and the work is metered like any prompt.
 */
import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { validatedBody } from '../../../http/request-facts.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { OriginDeps } from '../../../pipeline/deps.ts';
import { jsonExchange } from '../../../pipeline/exchange.ts';
import { chargeUsage } from '../../../pipeline/record.ts';
import type { ResolvedModel } from '../../../upstream/registry.ts';
import type { OriginEnv } from '../../../types.ts';
import type { BodyReader, ClientDialect } from '../dialect.ts';
import { countTokensRequestSchema, type CountTokensRequest } from './schema.ts';
import { messagesToGeneration } from './to-generation.ts';

const reader: BodyReader<CountTokensRequest> = { schema: countTokensRequestSchema, stream: () => false, maxTokens: () => undefined };

export const anthropicCountTokens: ClientDialect = { body: () => reader, handler: countTokens };

function countTokens(deps: OriginDeps, route: RouteEntry) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await validatedBody(c, reader);
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
