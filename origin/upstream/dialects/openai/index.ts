/** An OpenAI-compatible engine (vLLM, llama.cpp, SGLang, TGI…) as an upstream: /v1/*. */
import type { UpstreamDialect } from '../dialect.ts';
import { applyOpenAiPersona } from './persona.ts';
import { openaiBody, passthroughBody } from './request.ts';
import { relayOpenAi, wholeOpenAi } from './relay.ts';
import { openaiDecoder, openaiResult } from './stream.ts';

export const openaiUpstream: UpstreamDialect = {
  wire: 'openai',
  probePath: '/v1/models',
  warms: false,
  canonicalModel: (name) => name,
  listModelsCall: {
    path: '/v1/models',
    read: (doc) => ((doc as { data?: Array<{ id: string }> }).data ?? []).map((m) => ({ id: m.id })),
  },
  generate(gen, target) {
    const { path, body } = openaiBody(gen, target);
    return { method: 'POST', path, body: JSON.stringify(body), shape: gen.input.kind };
  },
  decoder: openaiDecoder,
  result: openaiResult,
  embed(req, target) {
    return { method: 'POST', path: '/v1/embeddings', body: JSON.stringify({ ...req.raw, model: target.upstreamModel, encoding_format: 'float' }), shape: 'embed' };
  },
  async embeddings(opened) {
    const out = (await opened.res.body.json()) as { data?: Array<{ embedding: number[]; index: number }>; usage?: { prompt_tokens?: number } };
    // In input order, whatever order the engine listed them in.
    return { vectors: (out.data ?? []).sort((a, b) => a.index - b.index).map((d) => d.embedding), promptTokens: out.usage?.prompt_tokens ?? 0 };
  },
  applyPersona: applyOpenAiPersona,
  passthrough: { body: passthroughBody, relay: relayOpenAi, whole: wholeOpenAi },
};
