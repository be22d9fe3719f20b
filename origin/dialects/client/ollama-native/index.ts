import type { Context } from 'hono';
import type { z } from 'zod';
import { PuertaError } from '../../../../shared/errors.ts';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { ollamaEmbeddingsRequestSchema, ollamaEmbedRequestSchema, ollamaShowRequestSchema } from '../../../../shared/schemas/ollama.ts';
import { validatedBody } from '../../../http/request-facts.ts';
import { sendJson, sendWhole } from '../../../http/send-json.ts';
import { slotsOf } from '../../../core/admission.ts';
import type { DialectDeps } from '../../deps.ts';
import { jsonExchange } from '../../../pipeline/exchange.ts';
import type { UpstreamCall } from '../../../core/upstream.ts';
import { chargeUsage } from '../../../core/record.ts';
import type { ResolvedModel } from '../../../upstream/registry.ts';
import type { OriginEnv } from '../../../core/env.ts';
import { generationDialect } from '../../generate.ts';
import type { BodyReader, ClientDialect } from '../dialect.ts';
import { ollamaChat, ollamaGenerate } from './generations.ts';

/** The wire this dialect is itself: an engine speaking it relays these routes as is. */
const WIRE = 'ollama' as const;

type NativeBody = { model: string; stream?: boolean; options?: { num_predict?: number | null | undefined } | undefined } & Record<string, unknown>;

/** A native route's body reader: Ollama's schema; these answers are whole documents with no cap of their own. */
function reader(schema: z.ZodType<NativeBody>): BodyReader<NativeBody> {
  return { schema, stream: () => false, maxTokens: () => undefined };
}

/** Each native model route's body, typed as Ollama decodes it (shared/schemas/ollama.ts). */
const READERS: Record<string, BodyReader<NativeBody>> = {
  '/api/embed': reader(ollamaEmbedRequestSchema),
  '/api/embeddings': reader(ollamaEmbeddingsRequestSchema),
  '/api/show': reader(ollamaShowRequestSchema),
};

/** The generation routes: the one generation pipeline, relayed as is to Ollama's own wire (./generations.ts). */
const GENERATIONS: Record<string, ClientDialect> = { '/api/chat': generationDialect(ollamaChat), '/api/generate': generationDialect(ollamaGenerate) };

/** /api/show is Ollama's own metadata: only an engine that relays it can answer. */
const SHOW_ONLY_RELAYED = {
  serves: (t: ResolvedModel) => t.upstream.dialect.wire === WIRE && t.upstream.dialect.passthrough !== undefined,
  refusal: (model: string) =>
    new PuertaError({
      status: 400,
      type: 'invalid_request_error',
      code: 'route_not_supported',
      param: 'model',
      message: `model '${model}' is served by an OpenAI-compatible upstream, which has no Ollama-native API; use the /v1 routes for it`,
      retryable: false,
    }),
};

export const ollamaNative: ClientDialect = {
  body: (route) => GENERATIONS[route.path]?.body(route) ?? READERS[route.path],
  handler: (deps, route) => GENERATIONS[route.path]?.handler(deps, route) ?? nativeModelRoute(deps, route),
};

/** An /api/embed or /api/embeddings body as an OpenAI-compatible engine's embedding call. */
function embedCall(path: string, body: NativeBody, t: ResolvedModel): UpstreamCall {
  const input = (path === '/api/embed' ? body.input : body.prompt) as string | string[] | undefined;
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
  const raw = { input: input ?? '', ...(dimensions !== undefined ? { dimensions } : {}) };
  return t.upstream.dialect.embed({ input: raw.input, dimensions, raw }, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg });
}

/**
 * `POST /api/embed|embeddings|show`: routed by model. To an engine of Ollama's own wire the body
 * is relayed by that engine's upstream dialect (its `passthrough`) and the answer comes back as
 * the engine wrote it; to an OpenAI-compatible engine the embedding routes are translated both
 * ways (/api/show is Ollama's own and can only be relayed).
 */
function nativeModelRoute(deps: DialectDeps, route: RouteEntry) {
  const show = route.path === '/api/show';
  const reader = READERS[route.path];
  if (!reader) throw new Error(`no Ollama-native request schema for ${route.path}`);
  /** The engine's own upstream dialect relays the route as is when it speaks Ollama's wire. */
  const relayed = (t: ResolvedModel) => (t.upstream.dialect.wire === WIRE ? t.upstream.dialect.passthrough : undefined);
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const body = await validatedBody(c, reader);
    const rec = c.get('record');
    const open = {
      model: body.model,
      priority: route.priority,
      ...(show ? { only: SHOW_ONLY_RELAYED } : {}),
      slots: slotsOf(body.input),
      build: (t: ResolvedModel): UpstreamCall => {
        const same = relayed(t);
        if (same) return { method: 'POST' as const, path: route.path, body: same.body(body, t.upstreamModel, false, t.upstream.cfg, route.persona), shape: route.persona };
        return embedCall(route.path, body, t);
      },
    };
    return jsonExchange(c, deps, open, async (opened): Promise<Response> => {
      const same = relayed(opened);
      if (same) return sendWhole(c, await same.whole(opened, body.model, rec));
      const { vectors, promptTokens } = await opened.upstream.dialect.embeddings(opened);
      chargeUsage(rec, { promptTokens, completionTokens: 0 });
      return sendJson(c, route.path === '/api/embed' ? { model: body.model, embeddings: vectors, prompt_eval_count: promptTokens } : { embedding: vectors[0] ?? [] });
    });
  };
}
