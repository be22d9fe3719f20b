/** A Generation as Ollama's /api/chat or /api/generate body. */
import type { Generation, Message, Sampling } from '../../../core/generation.ts';
import type { UpstreamTarget } from '../dialect.ts';
import type { OllamaMessage } from './types.ts';

/** Sampling → Ollama `options`, plus the upstream's per-model num_ctx. */
function options(s: Sampling, target: UpstreamTarget): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (s.temperature !== undefined) o.temperature = s.temperature;
  if (s.topP !== undefined) o.top_p = s.topP;
  if (s.topK !== undefined) o.top_k = s.topK;
  if (s.maxTokens !== undefined) o.num_predict = s.maxTokens;
  if (s.stop !== undefined) o.stop = s.stop;
  if (s.seed !== undefined) o.seed = s.seed;
  if (s.frequencyPenalty !== undefined) o.frequency_penalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) o.presence_penalty = s.presencePenalty;
  if (target.cfg.numCtx) o.num_ctx = target.cfg.numCtx;
  return o;
}

function message(m: Message): OllamaMessage {
  const out: OllamaMessage = { role: m.role, content: m.text };
  if (m.images?.length) out.images = m.images;
  if (m.thinking) out.thinking = m.thinking;
  // Ids go through: two results of the same function are told apart only by the call they answer.
  if (m.toolCalls?.length) out.tool_calls = m.toolCalls.map((tc) => ({ ...(tc.id ? { id: tc.id } : {}), function: { name: tc.name, arguments: tc.arguments } }));
  if (m.role === 'tool' && m.toolName) out.tool_name = m.toolName;
  if (m.role === 'tool' && m.toolCallId) out.tool_call_id = m.toolCallId;
  return out;
}

export function ollamaBody(gen: Generation, target: UpstreamTarget): { path: string; body: Record<string, unknown> } {
  const { cfg } = target;
  if (gen.input.kind === 'prompt') {
    const body: Record<string, unknown> = { model: target.upstreamModel, prompt: gen.input.prompt, stream: gen.stream, options: options(gen.sampling, target) };
    if (gen.input.suffix) body.suffix = gen.input.suffix;
    if (cfg.keepAlive !== undefined) body.keep_alive = cfg.keepAlive;
    return { path: '/api/generate', body };
  }
  const body: Record<string, unknown> = {
    model: target.upstreamModel,
    messages: gen.input.messages.map(message),
    stream: gen.stream,
    options: options(gen.sampling, target),
  };
  // Ollama has no tool_choice: `none` is honoured by not offering the tools at all.
  if (gen.tools?.length && gen.toolChoice !== 'none') {
    body.tools = gen.tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(t.parameters !== undefined ? { parameters: t.parameters } : {}) } }));
  }
  if (gen.format === 'json') body.format = 'json';
  else if (gen.format) body.format = gen.format.schema;
  if (gen.reasoning !== undefined) body.think = gen.reasoning;
  if (gen.logprobs) {
    body.logprobs = true;
    if (gen.logprobs.top > 0) body.top_logprobs = gen.logprobs.top;
  }
  if (cfg.keepAlive !== undefined) body.keep_alive = cfg.keepAlive;
  return { path: '/api/chat', body };
}
