import type { Context } from 'hono';
import { completionRequestSchema, type CompletionRequest } from '../../shared/schemas/openai.ts';
import { readJson } from '../http/read-json.ts';
import { sendJson } from '../http/send-json.ts';
import type { OllamaChatChunk } from '../ollama/types.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { jsonExchange, streamExchange } from '../pipeline/exchange.ts';
import { sseFraming } from '../stream/framing.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import type { OriginEnv } from '../types.ts';
import { ChunkWriter, finishReason, newId, usageOf } from './chunks.ts';
import { relayOllamaToOpenAi } from './relay-ollama.ts';
import { relayOpenAi } from './relay-openai.ts';
import { completionToOllama } from './to-ollama.ts';
import { forOpenAiUpstream } from './to-openai.ts';

function build(req: CompletionRequest, stream: boolean) {
  return (t: ResolvedModel) =>
    t.upstream.kind === 'ollama'
      ? { method: 'POST' as const, path: '/api/generate', body: JSON.stringify(completionToOllama(req, t.upstreamModel, t.upstream.cfg, stream)) }
      : { method: 'POST' as const, path: '/v1/completions', body: forOpenAiUpstream(req, t.upstreamModel, stream) };
}

/** Legacy text completions (`POST /v1/completions`) over Ollama's /api/generate. */
export function completions(deps: OriginDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await readJson(c, completionRequestSchema);
    const rec = c.get('record');
    rec.publicModel = req.model;
    // Completions are mostly batch work (summaries, tagging); chat stays ahead of them.
    const base = { model: req.model, priority: 'batch' as const, build: build(req, req.stream) };

    if (req.stream) {
      const includeUsage = req.stream_options?.include_usage === true;
      const writer = new ChunkWriter(newId('cmpl'), 'text_completion', Math.floor(Date.now() / 1000), req.model);
      return streamExchange(c, deps, {
        ...base,
        framing: sseFraming,
        relay: (opened, emit, signal) =>
          opened.upstream.kind === 'ollama'
            ? relayOllamaToOpenAi(opened, emit, signal, { mode: 'completion', writer, includeUsage, rec })
            : relayOpenAi(opened, emit, signal, includeUsage, rec),
      });
    }

    const body = await jsonExchange(c, deps, base, async (opened) => {
      if (opened.upstream.kind === 'openai') {
        const out = (await opened.res.body.json()) as { usage?: { prompt_tokens?: number; completion_tokens?: number } };
        rec.promptTokens = out.usage?.prompt_tokens;
        rec.completionTokens = out.usage?.completion_tokens;
        return { ...out, model: req.model };
      }
      const r = (await opened.res.body.json()) as OllamaChatChunk;
      const usage = usageOf(r);
      rec.promptTokens = usage.prompt_tokens;
      rec.completionTokens = usage.completion_tokens;
      return {
        id: newId('cmpl'),
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        model: req.model,
        system_fingerprint: 'fp_puerta',
        choices: [{ index: 0, text: r.response ?? '', logprobs: null, finish_reason: finishReason(r.done_reason, false) }],
        usage,
      };
    });
    return sendJson(c, body);
  };
}
