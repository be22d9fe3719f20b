/**
 * `GET /v1beta/models` and `GET /v1beta/models/{model}`: the models this tenant may call (the
 * same list as `GET /v1/models`), as Gemini's Model resources named `models/<name>`.
 */
import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { findModel, visibleModels, type OpenAiModel } from '../openai-models/index.ts';

const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens'];

const resource = (m: OpenAiModel) => ({ name: `models/${m.id}`, baseModelId: m.id, version: '', displayName: m.id, description: `served by ${m.owned_by}`, supportedGenerationMethods: METHODS });

export function geminiModels(deps: DialectDeps, route: RouteEntry) {
  if (!route.path.includes('/:model')) {
    return async (c: Context<OriginEnv>): Promise<Response> => sendJson(c, { models: (await visibleModels(deps, c)).map(resource) });
  }
  return async (c: Context<OriginEnv>): Promise<Response> => {
    // The SDKs name a model `models/x` or `x`; the route's parameter is the rest of the path.
    return sendJson(c, resource(findModel(deps, await visibleModels(deps, c), (c.req.param('model') ?? '').replace(/^models\//, ''))));
  };
}
