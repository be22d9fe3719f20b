/**
 * Client dialects by name: the route table (shared/routes.ts) names a dialect per route, and
 * this is where a name finds its folder. Every one is a ClientDialect (./dialect.ts): its body
 * read once into the request's facts, then its handler.
 */
import type { ClientDialectName } from '../../../shared/routes.ts';
import { generationDialect } from '../generate.ts';
import { noBody, type ClientDialect } from './dialect.ts';
import { anthropicCountTokens } from './anthropic-messages/count-tokens.ts';
import { anthropicMessages } from './anthropic-messages/index.ts';
import { ollamaList } from './ollama-native/list.ts';
import { ollamaNative } from './ollama-native/index.ts';
import { openaiChat } from './openai-chat/index.ts';
import { openaiCompletions } from './openai-completions/index.ts';
import { openaiResponses } from './openai-responses/index.ts';
import { openaiEmbeddings } from './openai-embeddings/index.ts';
import { listModels, retrieveModel } from './openai-models/index.ts';
import { ollamaRoot } from './ollama-native/root.ts';
import { geminiDialects } from './gemini/index.ts';

export const CLIENT_DIALECTS: Record<ClientDialectName, ClientDialect> = {
  'openai-chat': generationDialect(openaiChat),
  'openai-completions': generationDialect(openaiCompletions),
  'openai-embeddings': openaiEmbeddings,
  'openai-models': { body: noBody, handler: (deps) => listModels(deps) },
  'openai-model': { body: noBody, handler: (deps) => retrieveModel(deps) },
  'ollama-root': { body: noBody, handler: () => ollamaRoot },
  'ollama-native': ollamaNative,
  'ollama-list': { body: noBody, handler: ollamaList },
  'anthropic-messages': generationDialect(anthropicMessages),
  'anthropic-count-tokens': anthropicCountTokens,
  'openai-responses': generationDialect(openaiResponses),
  ...geminiDialects,
};
