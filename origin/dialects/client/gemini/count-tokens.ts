/** `POST /v1beta/models/{model}:countTokens`: the engine counts (origin/dialects/count-prompt.ts). */
import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { validatedBody } from '../../../http/request-facts.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { countPromptTokens } from '../../count-prompt.ts';
import type { BodyReader, ClientDialect } from '../dialect.ts';
import { countTokensSchema, type CountTokensBody } from './schema.ts';
import { geminiToGeneration } from './to-generation.ts';

const reader: BodyReader<CountTokensBody> = { schema: countTokensSchema, stream: () => false, maxTokens: () => undefined };

export const geminiCountTokens: ClientDialect = { body: () => reader, handler: countTokens };

function countTokens(deps: DialectDeps, route: RouteEntry) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const body = await validatedBody(c, reader);
    const request = body.generateContentRequest ?? { contents: body.contents! };
    const tokens = await countPromptTokens(c, deps, route, geminiToGeneration(request, body.model, false));
    return sendJson(c, { totalTokens: tokens });
  };
}
