/** Ollama's native API as an upstream: /api/chat, /api/generate, /api/embed, /api/tags. */
import { withLatestTag } from './model-name.ts';
import type { UpstreamDialect } from '../dialect.ts';
import { ollamaPassthrough } from './passthrough.ts';
import { applyOllamaPersona } from './persona.ts';
import { ollamaBody } from './request.ts';
import { ollamaDecoder, ollamaResult } from './stream.ts';
import type { OllamaEmbedResponse } from './types.ts';

export const ollamaUpstream: UpstreamDialect = {
  wire: 'ollama',
  probePath: '/api/version',
  warms: true,
  watch: { versionPath: '/api/version', loadedPath: '/api/ps' },
  canonicalModel: withLatestTag,
  listModelsCall: {
    path: '/api/tags',
    read: (doc) => ((doc as { models?: Array<Record<string, unknown> & { name: string }> }).models ?? []).map((m) => ({ id: m.name, raw: m })),
  },
  generate(gen, target) {
    const { path, body } = ollamaBody(gen, target);
    return { method: 'POST', path, body: JSON.stringify(body), shape: gen.input.kind };
  },
  decoder: ollamaDecoder,
  result: ollamaResult,
  embed(req, target) {
    const body: Record<string, unknown> = { model: target.upstreamModel, input: req.input, truncate: true };
    if (req.dimensions) body.dimensions = req.dimensions;
    if (target.cfg.keepAlive !== undefined) body.keep_alive = target.cfg.keepAlive;
    if (target.cfg.numCtx) body.options = { num_ctx: target.cfg.numCtx };
    return { method: 'POST', path: '/api/embed', body: JSON.stringify(body), shape: 'embed' };
  },
  async embeddings(opened) {
    const out = (await opened.res.body.json()) as OllamaEmbedResponse;
    return { vectors: out.embeddings ?? [], promptTokens: out.prompt_eval_count ?? 0 };
  },
  applyPersona: applyOllamaPersona,
  passthrough: ollamaPassthrough,
};
