/** `POST /v1/messages/count_tokens`: the engine counts (origin/dialects/count-prompt.ts). */
import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { readJson } from '../../../http/read-json.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { countPromptTokens } from '../../count-prompt.ts';
import { countTokensRequestSchema } from './schema.ts';
import { messagesToGeneration } from './to-generation.ts';

export function countTokens(deps: DialectDeps, route: RouteEntry) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await readJson(c, countTokensRequestSchema);
    const tokens = await countPromptTokens(c, deps, route, messagesToGeneration(req));
    return sendJson(c, { input_tokens: tokens });
  };
}
