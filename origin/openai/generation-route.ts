import type { Context } from 'hono';
import type { z } from 'zod';
import { readJson } from '../http/read-json.ts';
import { sendJson } from '../http/send-json.ts';
import type { OllamaChatChunk } from '../ollama/types.ts';
import type { PriorityClass } from '../pipeline/admission.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { jsonExchange, streamExchange } from '../pipeline/exchange.ts';
import type { RequestRecord } from '../pipeline/record.ts';
import { sseFraming } from '../stream/framing.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import type { OriginEnv } from '../types.ts';
import { CITATIONS_HEADER, citationsHeader, retrievalForChat } from '../retrieval/chat-hook.ts';
import { ChunkWriter, newId, usageOf } from './chunks.ts';
import { relayOllamaToOpenAi } from './relay-ollama.ts';
import { relayOpenAi } from './relay-openai.ts';
import { forOpenAiUpstream } from './to-openai.ts';

interface GenerationRequest {
  model: string;
  stream: boolean;
  stream_options?: { include_usage?: boolean | undefined } | null | undefined;
}

/** What differs between `/v1/chat/completions` and `/v1/completions`; the route does the rest. */
export interface GenerationSpec<R extends GenerationRequest> {
  schema: z.ZodType<R>;
  mode: 'chat' | 'completion';
  priority: PriorityClass;
  /** The Ollama route and body for the request. */
  ollama: { path: string; body(req: R, upstreamModel: string, up: ResolvedModel['upstream']['cfg'], stream: boolean): Record<string, unknown> };
  /** The OpenAI engine's route for the request. */
  openaiPath: string;
  /** Ollama's whole (non-streamed) answer → the OpenAI response object. */
  fromOllama(r: OllamaChatChunk, req: R, rec: RequestRecord): Record<string, unknown>;
}

const ID_PREFIX = { chat: 'chatcmpl', completion: 'cmpl' } as const;
const CHUNK_OBJECT = { chat: 'chat.completion.chunk', completion: 'text_completion' } as const;

/**
 * An OpenAI generation route over either kind of upstream: Ollama's native API (the stream is
 * built here, so mid-stream errors are kept) or an OpenAI-compatible engine (relayed).
 * Token counts always come from the engine and land in the request record.
 */
export function generationRoute<R extends GenerationRequest>(deps: OriginDeps, spec: GenerationSpec<R>) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await readJson(c, spec.schema);
    const rec = c.get('record');
    rec.publicModel = req.model;
    // A retrieval alias: the passages go into the conversation before it is built for the upstream.
    const rag = spec.mode === 'chat' ? await retrievalForChat(c, deps, req.model, (req as unknown as { messages: Array<{ role: string; content?: unknown }> }).messages, spec.priority) : undefined;
    const base = {
      model: req.model,
      priority: spec.priority,
      build: (t: ResolvedModel) =>
        t.upstream.kind === 'ollama'
          ? { method: 'POST' as const, path: spec.ollama.path, body: JSON.stringify(spec.ollama.body(req, t.upstreamModel, t.upstream.cfg, req.stream)) }
          : { method: 'POST' as const, path: spec.openaiPath, body: forOpenAiUpstream(req as unknown as Record<string, unknown>, t.upstreamModel, req.stream) },
    };

    if (req.stream) {
      const includeUsage = req.stream_options?.include_usage === true;
      const writer = new ChunkWriter(newId(ID_PREFIX[spec.mode]), CHUNK_OBJECT[spec.mode], Math.floor(Date.now() / 1000), req.model);
      const res = await streamExchange(c, deps, {
        ...base,
        framing: sseFraming,
        relay: (opened, emit, signal) =>
          opened.upstream.kind === 'ollama'
            ? relayOllamaToOpenAi(opened, emit, signal, { mode: spec.mode, writer, includeUsage, rec })
            : relayOpenAi(opened, emit, signal, includeUsage, rec),
      });
      if (rag?.wanted) res.headers.set(CITATIONS_HEADER, citationsHeader(rag.citations));
      return res;
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
      return { ...spec.fromOllama(r, req, rec), usage };
    });
    if (rag?.wanted) return sendJson(c, { ...body, citations: rag.citations }, 200, { [CITATIONS_HEADER]: citationsHeader(rag.citations) });
    return sendJson(c, body);
  };
}
