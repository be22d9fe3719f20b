/**
 * Google's Gemini API (`POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`):
 * the Gemini SDKs (`@google/genai`, Python `google-genai`) and Gemini CLI.
 */
import { z } from 'zod';
import { ERROR_SHAPES } from '../../../../shared/dialects/errors.ts';
import { SSE_HEADERS } from '../../../../shared/sse.ts';
import type { Framing } from '../../../stream/framing.ts';
import type { GenerationContext } from '../../../core/generation.ts';
import { chatLead } from '../conversation.ts';
import type { ClientDialectName } from '../../../../shared/routes.ts';
import { generationDialect } from '../../generate.ts';
import { noBody, type ClientDialect, type GenerationDialect } from '../dialect.ts';
import { geminiCountTokens } from './count-tokens.ts';
import { geminiModels } from './models.ts';
import { generateContentSchema, type FromUrl, type GeminiRequest } from './schema.ts';
import { geminiToGeneration } from './to-generation.ts';
import { parts, response, type ResponseIds } from './wire.ts';
import { geminiWriter } from './writer.ts';

/**
 * The keepalive is an empty SSE frame (a blank line pair), not a comment: the JS SDK skips any
 * frame without `data:`, but the Python SDK reads a line it does not know (`: keepalive`) as
 * JSON and fails on it, while it skips blank lines. So there is no queue position to tell.
 */
export const geminiFraming: Framing = {
  headers: SSE_HEADERS,
  keepalive: new TextEncoder().encode('\n\n'),
  error: ERROR_SHAPES.gemini.streamError,
};

const ids = (req: GeminiRequest, ctx: GenerationContext): ResponseIds => ({ modelVersion: req.model, responseId: ctx.requestId });
/** Gemini returns thought parts only to a client that asked for them. */
const includeThoughts = (req: GeminiRequest): boolean => req.generationConfig?.thinkingConfig?.includeThoughts === true;

/**
 * The model and whether the answer streams are in the URL, not the body: the request's facts lay
 * the path's model over the body (the route table's `:model`), and the reader lays how it streams
 * (`fromUrl`), so the one pipeline (origin/dialects/generate.ts) reads them from the validated
 * request as it does for every other dialect.
 */
export const geminiDialect: GenerationDialect<GeminiRequest> = {
  schema: generateContentSchema.extend({ model: z.string(), stream: z.boolean(), asArray: z.boolean() }),
  fromUrl(url, route): FromUrl {
    const streams = route.streams === 'always';
    // Google's SDKs stream with `?alt=sse`; without it the answer is one JSON array, sent whole.
    const sse = streams && url.query('alt') === 'sse';
    return { stream: sse, asArray: streams && !sse };
  },
  stream: (req) => req.stream,
  maxTokens: (req) => req.generationConfig?.maxOutputTokens,
  conversation: (req) => chatLead(req.systemInstruction, req.contents),
  framing: geminiFraming,
  toGeneration: (req) => geminiToGeneration(req, req.model, req.stream),
  response(r, req, ctx) {
    const body = response(ids(req, ctx), parts(r.text, r.thinking, r.toolCalls, includeThoughts(req)), r);
    return req.asArray ? [body] : body;
  },
  writer: (req, ctx) => geminiWriter(ids(req, ctx), includeThoughts(req)),
};

/** Gemini's routes by the names the route table gives them (origin/dialects/client/index.ts spreads them in). */
export const geminiDialects = {
  gemini: generationDialect(geminiDialect),
  'gemini-count-tokens': geminiCountTokens,
  'gemini-models': { body: noBody, handler: geminiModels },
} as const satisfies Partial<Record<ClientDialectName, ClientDialect>>;
