import type { Context } from 'hono';
import type { z } from 'zod';
import {
  ollamaChatRequestSchema,
  ollamaEmbeddingsRequestSchema,
  ollamaEmbedRequestSchema,
  ollamaGenerateRequestSchema,
  ollamaShowRequestSchema,
} from '../../../../shared/schemas/ollama.ts';
import { slotsOf } from '../../../pipeline/admission.ts';
import { validatedBody } from '../../../http/request-facts.ts';
import type { OriginDeps } from '../../../pipeline/deps.ts';
import { jsonExchange, streamExchange } from '../../../pipeline/exchange.ts';
import type { OpenedUpstream } from '../../../pipeline/open-upstream.ts';
import { chargeUsage } from '../../../pipeline/record.ts';
import type { RouteEntry } from '../../../../shared/routes.ts';
import type { ChunkRelay, Emit } from '../../../stream/stream-response.ts';
import { ndjsonFraming } from '../../../stream/framing.ts';
import type { OriginEnv } from '../../../types.ts';
import { CITATIONS_HEADER, citationsHeader, retrievalForChat } from '../../../retrieval/chat-hook.ts';
import type { UpstreamCall } from '../../../pipeline/open-upstream.ts';
import type { ResolvedModel } from '../../../upstream/registry.ts';
import { sendJson, sendWhole } from '../../../http/send-json.ts';
import type { BodyReader, ClientDialect } from '../dialect.ts';
import { PuertaError } from '../../../../shared/errors.ts';
import type { Generation, GenerationContext } from '../../generation.ts';
import { translate } from '../../translate.ts';
import type { Passthrough } from '../../upstream/dialect.ts';

/** The wire this dialect is itself: an engine speaking it is relayed as is. */
const WIRE = 'ollama' as const;
import { nativeChatToGeneration, nativeGenerateToGeneration } from './to-generation.ts';
import { nativeQueuedLine, nativeResponse, nativeWriter } from './writer.ts';


type NativeBody = { model: string; stream?: boolean; options?: { num_predict?: number | null | undefined } | undefined } & Record<string, unknown>;

/** A native route's body reader: Ollama's schema, its stream rule (on unless `false`) and its `num_predict` cap. */
function reader(schema: z.ZodType<NativeBody>, streams: boolean): BodyReader<NativeBody> {
  return {
    schema,
    stream: streams ? (b) => b.stream !== false : () => false,
    maxTokens: (b) => {
      const n = b.options?.num_predict;
      return typeof n === 'number' && n >= 0 ? n : undefined;
    },
  };
}

/** Each native model route's body, typed as Ollama decodes it (shared/schemas/ollama.ts). */
const READERS: Record<string, BodyReader<NativeBody>> = {
  '/api/chat': reader(ollamaChatRequestSchema, true),
  '/api/generate': reader(ollamaGenerateRequestSchema, true),
  '/api/embed': reader(ollamaEmbedRequestSchema, false),
  '/api/embeddings': reader(ollamaEmbeddingsRequestSchema, false),
  '/api/show': reader(ollamaShowRequestSchema, false),
};

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

export const ollamaNative: ClientDialect = { body: (route) => READERS[route.path], handler: nativeModelRoute };

/** The client's body as a Generation, for an engine that does not speak Ollama's wire. */
function generationOf(path: string, body: NativeBody): Generation | undefined {
  if (path === '/api/chat') return nativeChatToGeneration(body as Parameters<typeof nativeChatToGeneration>[0]);
  if (path === '/api/generate') return nativeGenerateToGeneration(body as Parameters<typeof nativeGenerateToGeneration>[0]);
  return undefined;
}

/** An /api/embed or /api/embeddings body as an OpenAI-compatible engine's embedding call. */
function embedCall(path: string, body: NativeBody, t: ResolvedModel): UpstreamCall {
  const input = (path === '/api/embed' ? body.input : body.prompt) as string | string[] | undefined;
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
  const raw = { input: input ?? '', ...(dimensions !== undefined ? { dimensions } : {}) };
  return t.upstream.dialect.embed({ input: raw.input, dimensions, raw }, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg });
}

/**
 * `POST /api/chat|generate|embed|embeddings|show`: routed by model. To an engine of Ollama's own
 * wire the body is relayed by that engine's upstream dialect (its `passthrough`) and the answer
 * comes back as the engine wrote it, so the official clients work unchanged; to an
 * OpenAI-compatible engine chat, generate and the embedding routes are translated both ways
 * (/api/show is Ollama's own and can only be relayed).
 */
function nativeModelRoute(deps: OriginDeps, route: RouteEntry) {
  // Generation routes stream; /api/show, the one unmetered model route, is metadata (it has no
  // options to default).
  const streams = route.metered === 'generation';
  const show = route.metered === false;
  const embeds = route.path === '/api/embed' || route.path === '/api/embeddings';
  const reader = READERS[route.path];
  if (!reader) throw new Error(`no Ollama-native request schema for ${route.path}`);
  /** The engine's own upstream dialect relays the route as is when it speaks Ollama's wire. */
  const relayed = (t: { upstream: { dialect: { wire: string; passthrough?: Passthrough | undefined } } }) => (t.upstream.dialect.wire === WIRE ? t.upstream.dialect.passthrough : undefined);
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const body = await validatedBody(c, reader);
    const rec = c.get('record');
    const ctx: GenerationContext = { requestId: rec.requestId };
    const chat = route.path === '/api/chat';
    const rag = route.persona === 'chat' && Array.isArray(body.messages) ? await retrievalForChat(c, deps, body.model, body.messages as Array<{ role: string }>, route.priority) : undefined;
    let gen: Generation | undefined;
    const open = {
      model: body.model,
      priority: route.priority,
      ...(show ? { only: SHOW_ONLY_RELAYED } : {}),
      slots: slotsOf(body.input),
      build: (t: ResolvedModel): UpstreamCall => {
        const same = relayed(t);
        if (same) return { method: 'POST' as const, path: route.path, body: same.body(body, t.upstreamModel, streams && body.stream !== false, t.upstream.cfg, route.persona), shape: route.persona };
        if (embeds) return embedCall(route.path, body, t);
        // Built on the first such target: a body it cannot take is a 400 before any slot is held.
        gen ??= generationOf(route.path, body);
        if (!gen) throw new Error(`${route.path} has no translation and no relay to ${t.upstream.name}`);
        return t.upstream.dialect.generate(gen, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg });
      },
    };
    const relay = (opened: OpenedUpstream, emit: Emit): ChunkRelay =>
      relayed(opened)?.relay(opened, emit, { includeUsage: true, rec }) ?? translate(opened.upstream.dialect.decoder(opened, ctx), nativeWriter(body.model, chat), emit, rec);
    const whole = async (opened: OpenedUpstream): Promise<Response> => {
      const same = relayed(opened);
      if (same) return sendWhole(c, await same.whole(opened, body.model, rec));
      if (embeds) {
        const { vectors, promptTokens } = await opened.upstream.dialect.embeddings(opened);
        chargeUsage(rec, { promptTokens, completionTokens: 0 });
        return sendJson(c, route.path === '/api/embed' ? { model: body.model, embeddings: vectors, prompt_eval_count: promptTokens } : { embedding: vectors[0] ?? [] });
      }
      const result = await opened.upstream.dialect.result(opened, ctx);
      chargeUsage(rec, result.usage);
      return sendJson(c, nativeResponse(body.model, chat, result));
    };
    const res = streams && body.stream !== false ? await streamExchange(c, deps, { ...open, framing: { ...ndjsonFraming, queued: (s) => nativeQueuedLine(body.model, chat, s) }, relay }) : await jsonExchange(c, deps, open, whole);
    if (rag?.wanted) res.headers.set(CITATIONS_HEADER, citationsHeader(rag.citations));
    return res;
  };
}
