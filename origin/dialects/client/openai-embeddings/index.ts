import type { Context } from 'hono';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { embeddingRequestSchema, type EmbeddingRequest } from '../../../../shared/schemas/openai.ts';
import { slotsOf } from '../../../core/admission.ts';
import { validatedBody } from '../../../http/request-facts.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import { jsonExchange } from '../../../pipeline/exchange.ts';
import { chargeUsage } from '../../../core/record.ts';
import type { ResolvedModel } from '../../../upstream/registry.ts';
import type { OriginEnv } from '../../../core/env.ts';
import type { BodyReader, ClientDialect } from '../dialect.ts';

/** float32 little-endian, base64: what the openai SDKs ask for by default and decode themselves. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

const reader: BodyReader<EmbeddingRequest> = { schema: embeddingRequestSchema, stream: () => false, maxTokens: () => undefined };

export const openaiEmbeddings: ClientDialect = { body: () => reader, handler: embeddings };

/** `POST /v1/embeddings` over the engine's own embeddings call (batch class: bulk uploads must not starve chat). */
function embeddings(deps: DialectDeps, route: RouteEntry) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await validatedBody(c, reader);
    const rec = c.get('record');
    const input = { input: req.input, dimensions: req.dimensions, raw: req };
    const open = { model: req.model, priority: route.priority, slots: slotsOf(req.input), build: (t: ResolvedModel) => t.upstream.dialect.embed(input, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg }) };
    const body = await jsonExchange(c, deps, open, async (opened) => {
      const { vectors, promptTokens } = await opened.upstream.dialect.embeddings(opened);
      chargeUsage(rec, { promptTokens, completionTokens: 0 });
      return {
        object: 'list',
        data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: req.encoding_format === 'base64' ? toBase64(v) : v })),
        model: req.model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
    });
    return sendJson(c, body);
  };
}
