/**
 * Google's Gemini API (`POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`):
 * the Gemini SDKs (`@google/genai`, Python `google-genai`) and Gemini CLI. The model and whether
 * the answer streams are in the URL, not the body: the route adds them to the body it validates.
 */
import type { Handler } from 'hono';
import { ERROR_SHAPES } from '../../../../shared/dialects/errors.ts';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { SSE_HEADERS } from '../../../../shared/sse.ts';
import type { DialectDeps } from '../../deps.ts';
import type { Framing } from '../../../stream/framing.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { generationRoute } from '../../generate.ts';
import type { GenerationContext } from '../../../core/generation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { generateContentSchema, type FromUrl, type GeminiRequest } from './schema.ts';
import { pathModel } from './path-model.ts';
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

function geminiDialect(url: FromUrl): GenerationDialect<GeminiRequest> {
  return {
    schema: generateContentSchema.transform((body): GeminiRequest => ({ ...body, ...url })),
    framing: geminiFraming,
    toGeneration: (req) => geminiToGeneration(req, req.model, req.stream),
    response(r, req, ctx) {
      const body = response(ids(req, ctx), parts(r.text, r.thinking, r.toolCalls, includeThoughts(req)), r);
      return req.asArray ? [body] : body;
    },
    writer: (req, ctx) => geminiWriter(ids(req, ctx), includeThoughts(req)),
  };
}

/**
 * The pipeline (origin/dialects/generate.ts) reads the model and the stream flag from the
 * validated request; Gemini has them in the URL, so each request gets a dialect whose schema adds
 * them to the body it validates (a small object and a zod pipe per request).
 */
export function geminiGenerate(deps: DialectDeps, route: RouteEntry): Handler<OriginEnv> {
  const streams = route.streams === 'always';
  return (c) => {
    // Google's SDKs stream with `?alt=sse`; without it the answer is one JSON array, sent whole.
    const sse = streams && c.req.query('alt') === 'sse';
    return generationRoute(deps, route, geminiDialect({ model: pathModel(c), stream: sse, asArray: streams && !sse }))(c);
  };
}
