import type { Context } from 'hono';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../shared/schemas/openai.ts';
import { readJson } from '../http/read-json.ts';
import { sendJson } from '../http/send-json.ts';
import type { OllamaChatChunk } from '../ollama/types.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { jsonExchange, streamExchange } from '../pipeline/exchange.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import { sseFraming } from '../stream/framing.ts';
import type { OriginEnv } from '../types.ts';
import { ChunkWriter, finishReason, newId, openAiToolCalls, usageOf } from './chunks.ts';
import { relayOllamaToOpenAi } from './relay-ollama.ts';
import { relayOpenAi } from './relay-openai.ts';
import { chatToOllama } from './to-ollama.ts';
import { forOpenAiUpstream } from './to-openai.ts';

function build(req: ChatCompletionRequest, stream: boolean) {
  return (t: ResolvedModel) =>
    t.upstream.kind === 'ollama'
      ? { method: 'POST' as const, path: '/api/chat', body: JSON.stringify(chatToOllama(req, t.upstreamModel, t.upstream.cfg, stream)) }
      : { method: 'POST' as const, path: '/v1/chat/completions', body: forOpenAiUpstream(req, t.upstreamModel, stream) };
}

export function chatCompletions(deps: OriginDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const req = await readJson(c, chatCompletionRequestSchema);
    const rec = c.get('record');
    rec.publicModel = req.model;
    const base = { model: req.model, priority: 'interactive' as const, build: build(req, req.stream) };

    if (req.stream) {
      const includeUsage = req.stream_options?.include_usage === true;
      const writer = new ChunkWriter(newId('chatcmpl'), 'chat.completion.chunk', Math.floor(Date.now() / 1000), req.model);
      return streamExchange(c, deps, {
        ...base,
        framing: sseFraming,
        relay: (opened, emit, signal) =>
          opened.upstream.kind === 'ollama'
            ? relayOllamaToOpenAi(opened, emit, signal, { mode: 'chat', writer, includeUsage, rec })
            : relayOpenAi(opened, emit, signal, includeUsage, rec),
      });
    }

    const body = await jsonExchange(c, deps, base, async (opened) => {
      if (opened.upstream.kind === 'openai') {
        const out = (await opened.res.body.json()) as { model?: string; usage?: { prompt_tokens?: number; completion_tokens?: number } };
        rec.promptTokens = out.usage?.prompt_tokens;
        rec.completionTokens = out.usage?.completion_tokens;
        return { ...out, model: req.model };
      }
      const r = (await opened.res.body.json()) as OllamaChatChunk;
      const usage = usageOf(r);
      rec.promptTokens = usage.prompt_tokens;
      rec.completionTokens = usage.completion_tokens;
      const id = newId('chatcmpl');
      const message: Record<string, unknown> = { role: 'assistant', content: r.message?.content ?? '' };
      if (r.message?.thinking) message.reasoning = r.message.thinking;
      const calls = r.message?.tool_calls ?? [];
      if (calls.length) message.tool_calls = openAiToolCalls(calls, rec.requestId, 0);
      return {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: req.model,
        system_fingerprint: 'fp_puerta',
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(r.done_reason, calls.length > 0) }],
        usage,
      };
    });
    return sendJson(c, body);
  };
}
