import type { Context } from 'hono';
import { embeddingRequestSchema, type EmbeddingRequest } from '../../shared/schemas/openai.ts';
import { readJson } from '../http/read-json.ts';
import { sendJson } from '../http/send-json.ts';
import type { OllamaEmbedResponse } from '../ollama/types.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { jsonExchange } from '../pipeline/exchange.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import type { OriginEnv } from '../types.ts';

function build(req: EmbeddingRequest) {
  return (t: ResolvedModel) => {
    if (t.upstream.kind === 'openai') {
      return { method: 'POST' as const, path: '/v1/embeddings', body: JSON.stringify({ ...req, model: t.upstreamModel, encoding_format: 'float' }) };
    }
    const body: Record<string, unknown> = { model: t.upstreamModel, input: req.input, truncate: true };
    if (req.dimensions) body.dimensions = req.dimensions;
    if (t.upstream.cfg.keepAlive !== undefined) body.keep_alive = t.upstream.cfg.keepAlive;
    if (t.upstream.cfg.numCtx) body.options = { num_ctx: t.upstream.cfg.numCtx };
    return { method: 'POST' as const, path: '/api/embed', body: JSON.stringify(body) };
  };
}

/** float32 little-endian, base64: what the openai SDKs ask for by default and decode themselves. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** `POST /v1/embeddings` over Ollama's /api/embed (batch class: bulk uploads must not starve chat). */
export function embeddings(deps: OriginDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await readJson(c, embeddingRequestSchema);
    const rec = c.get('record');
    rec.publicModel = req.model;
    const body = await jsonExchange(c, deps, { model: req.model, priority: 'batch', build: build(req) }, async (opened) => {
      let vectors: number[][];
      let promptTokens: number;
      if (opened.upstream.kind === 'openai') {
        const out = (await opened.res.body.json()) as { data: Array<{ embedding: number[] }>; usage?: { prompt_tokens?: number } };
        vectors = out.data.map((d) => d.embedding);
        promptTokens = out.usage?.prompt_tokens ?? 0;
      } else {
        const out = (await opened.res.body.json()) as OllamaEmbedResponse;
        vectors = out.embeddings;
        promptTokens = out.prompt_eval_count ?? 0;
      }
      rec.promptTokens = promptTokens;
      rec.completionTokens = 0;
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
