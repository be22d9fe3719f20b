/** `POST /v1/messages/count_tokens`: the engine counts (origin/dialects/count-prompt.ts). */
import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { validatedBody } from '../../../http/request-facts.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { countPromptTokens } from '../../count-prompt.ts';
import type { BodyReader, ClientDialect } from '../dialect.ts';
import { countTokensRequestSchema, type CountTokensRequest } from './schema.ts';
import { messagesToGeneration } from './to-generation.ts';

const reader: BodyReader<CountTokensRequest> = { schema: countTokensRequestSchema, stream: () => false, maxTokens: () => undefined };

export const anthropicCountTokens: ClientDialect = { body: () => reader, handler: countTokens };

function countTokens(deps: DialectDeps, route: RouteEntry) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await validatedBody(c, reader);
    const tokens = await countPromptTokens(c, deps, route, messagesToGeneration(req));
    return sendJson(c, { input_tokens: tokens });
  };
}
