/**
 * Route handlers by client dialect: the route table (shared/routes.ts) names a dialect per
 * route, and this is where a name finds its folder.
 */
import type { Handler } from 'hono';
import type { ClientDialectName, RouteEntry } from '../../../shared/routes.ts';
import type { DialectDeps } from '../deps.ts';
import type { OriginEnv } from '../../core/env.ts';
import { generationRoute } from '../generate.ts';
import { countTokens } from './anthropic-messages/count-tokens.ts';
import { anthropicMessages } from './anthropic-messages/index.ts';
import { ollamaList } from './ollama-native/list.ts';
import { nativeModelRoute } from './ollama-native/index.ts';
import { openaiChat } from './openai-chat/index.ts';
import { openaiCompletions } from './openai-completions/index.ts';
import { openaiResponses } from './openai-responses/index.ts';
import { embeddings } from './openai-embeddings/index.ts';
import { listModels, retrieveModel } from './openai-models/index.ts';
import { ollamaRoot } from './ollama-native/root.ts';
import { geminiCountTokens } from './gemini/count-tokens.ts';
import { geminiGenerate } from './gemini/index.ts';
import { geminiModels } from './gemini/models.ts';

type HandlerFactory = (deps: DialectDeps, route: RouteEntry) => Handler<OriginEnv>;

export const CLIENT_DIALECTS: Record<ClientDialectName, HandlerFactory> = {
  'openai-chat': (deps, route) => generationRoute(deps, route, openaiChat),
  'openai-completions': (deps, route) => generationRoute(deps, route, openaiCompletions),
  'openai-embeddings': embeddings,
  'openai-models': (deps) => listModels(deps),
  'openai-model': (deps) => retrieveModel(deps),
  'ollama-root': () => ollamaRoot,
  'ollama-native': nativeModelRoute,
  'ollama-list': ollamaList,
  'anthropic-messages': (deps, route) => generationRoute(deps, route, anthropicMessages),
  'anthropic-count-tokens': countTokens,
  'openai-responses': (deps, route) => generationRoute(deps, route, openaiResponses),
  gemini: geminiGenerate,
  'gemini-count-tokens': geminiCountTokens,
  'gemini-models': geminiModels,
};
