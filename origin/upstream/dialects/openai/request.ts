/** A Generation as an OpenAI-compatible engine's /v1/chat/completions or /v1/completions body. */
import type { Generation, Message } from '../../../core/generation.ts';
import type { UpstreamConfig } from '../../../config/schema.ts';
import type { UpstreamTarget } from '../dialect.ts';

/** A JSON schema for structured output in the form the engine takes (upstreams[].responseFormat). */
function schemaFormat(schema: unknown, name: string, cfg: UpstreamConfig): Record<string, unknown> {
  return cfg.responseFormat === 'json_object' ? { type: 'json_object', schema } : { type: 'json_schema', json_schema: { name, schema } };
}

function message(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role };
  out.content = m.images?.length
    ? [...(m.text ? [{ type: 'text', text: m.text }] : []), ...m.images.map((b64) => ({ type: 'image_url', image_url: { url: `data:image/png;base64,${b64}` } }))]
    : m.text;
  if (m.thinking) out.reasoning_content = m.thinking;
  if (m.toolCalls?.length) {
    out.tool_calls = m.toolCalls.map((tc, i) => ({ id: tc.id ?? `call_${i}`, type: 'function', function: { name: tc.name, arguments: JSON.stringify(tc.arguments) } }));
  }
  if (m.role === 'tool') {
    if (m.toolCallId) out.tool_call_id = m.toolCallId;
    if (m.toolName) out.name = m.toolName;
  }
  return out;
}

export function openaiBody(gen: Generation, target: UpstreamTarget): { path: string; body: Record<string, unknown> } {
  const s = gen.sampling;
  const body: Record<string, unknown> = { model: target.upstreamModel, stream: gen.stream };
  // Tokens are accounted from the engine's own counts: usage is always asked for.
  if (gen.stream) body.stream_options = { include_usage: true };
  if (s.temperature !== undefined) body.temperature = s.temperature;
  if (s.topP !== undefined) body.top_p = s.topP;
  // Not in OpenAI's API, but vLLM, llama.cpp and SGLang read it; others ignore unknown fields.
  if (s.topK !== undefined) body.top_k = s.topK;
  if (s.maxTokens !== undefined) body.max_tokens = s.maxTokens;
  if (s.stop !== undefined) body.stop = s.stop;
  if (s.seed !== undefined) body.seed = s.seed;
  if (s.frequencyPenalty !== undefined) body.frequency_penalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) body.presence_penalty = s.presencePenalty;
  if (gen.input.kind === 'prompt') {
    body.prompt = gen.input.prompt;
    if (gen.input.suffix) body.suffix = gen.input.suffix;
    return { path: '/v1/completions', body };
  }
  body.messages = gen.input.messages.map(message);
  if (gen.tools?.length) {
    body.tools = gen.tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(t.parameters !== undefined ? { parameters: t.parameters } : {}) } }));
    if (gen.toolChoice !== undefined) body.tool_choice = typeof gen.toolChoice === 'string' ? gen.toolChoice : { type: 'function', function: { name: gen.toolChoice.name } };
  }
  if (gen.format === 'json') body.response_format = { type: 'json_object' };
  else if (gen.format) body.response_format = schemaFormat(gen.format.schema, 'output', target.cfg);
  // A bare on/off (Anthropic `thinking`, Ollama `think: true`) as the effort OpenAI-compatible
  // engines read: `none` turns reasoning off (Ollama's /v1, vLLM's gpt-oss), on is the middle level.
  if (gen.reasoning !== undefined) body.reasoning_effort = typeof gen.reasoning === 'string' ? gen.reasoning : gen.reasoning ? 'medium' : 'none';
  return { path: '/v1/chat/completions', body };
}

/**
 * The client's own OpenAI body for an engine on the same wire, with the engine's model name and
 * usage always requested.
 */
export function passthroughBody(req: Record<string, unknown>, upstreamModel: string, stream: boolean, cfg: UpstreamConfig): string {
  const body: Record<string, unknown> = { ...req, model: upstreamModel, stream };
  const rf = req.response_format as { type?: unknown; json_schema?: { name?: unknown; schema?: unknown } } | null | undefined;
  if (cfg.responseFormat === 'json_object' && rf?.type === 'json_schema') body.response_format = schemaFormat(rf.json_schema?.schema, String(rf.json_schema?.name ?? 'output'), cfg);
  // `content: null` beside tool_calls is OpenAI's own form, but llama-cpp-python refuses it (its
  // chat templates want a string); an empty string means the same to every engine.
  if (Array.isArray(req.messages) && req.messages.some((m) => (m as { content?: unknown } | null)?.content === null)) {
    body.messages = (req.messages as Array<Record<string, unknown>>).map((m) => (m?.content === null && m.role === 'assistant' ? { ...m, content: '' } : m));
  }
  if (!stream) return JSON.stringify(body);
  if (Object.hasOwn(req, 'stream_options')) {
    body.stream_options = { ...((req.stream_options as object | null | undefined) ?? {}), include_usage: true };
    return JSON.stringify(body);
  }
  // The client sent none: `{"include_usage":true}` after the client's keys, where adding the key
  // to the copy would put it. Added to a spread copy, a key takes V8 off its fast serialiser,
  // which then costs about three times the copy's own serialisation.
  const text = JSON.stringify(body);
  return text.slice(0, -1) + USAGE_ONLY;
}

const USAGE_ONLY = ',"stream_options":{"include_usage":true}}';
