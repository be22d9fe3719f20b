/**
 * An Ollama-native /api/chat or /api/generate body as a Generation, for an engine that does not
 * speak Ollama's wire (`kind: openai`). An Ollama upstream gets the client's body as is instead.
 */
import { errors } from '../../../../shared/errors.ts';
import type { z } from 'zod';
import type { ollamaChatRequestSchema, ollamaGenerateRequestSchema, ollamaOptionsSchema } from '../../../../shared/schemas/ollama.ts';
import type { Generation, Message, Reasoning, Sampling, Tool } from '../../../core/generation.ts';

type Options = z.infer<typeof ollamaOptionsSchema>;
type ChatBody = z.infer<typeof ollamaChatRequestSchema>;
type GenerateBody = z.infer<typeof ollamaGenerateRequestSchema>;

function sampling(o: Options | undefined): Sampling {
  const s: Sampling = {};
  if (!o) return s;
  if (o.temperature != null) s.temperature = o.temperature;
  if (o.top_p != null) s.topP = o.top_p;
  if (o.top_k != null) s.topK = o.top_k;
  // Ollama's -1 (and -2) mean "until the context is full": no cap for the engine.
  if (o.num_predict != null && o.num_predict >= 0) s.maxTokens = o.num_predict;
  if (o.stop != null) s.stop = o.stop;
  if (o.seed != null) s.seed = o.seed;
  if (o.frequency_penalty != null) s.frequencyPenalty = o.frequency_penalty;
  if (o.presence_penalty != null) s.presencePenalty = o.presence_penalty;
  return s;
}

function format(f: unknown): Generation['format'] {
  if (f === 'json') return 'json';
  if (f && typeof f === 'object') return { schema: f as Record<string, unknown> };
  return undefined;
}

function reasoning(t: boolean | 'low' | 'medium' | 'high' | null | undefined): Reasoning | undefined {
  return t == null ? undefined : t;
}

function tools(list: ChatBody['tools']): Tool[] | undefined {
  if (!list?.length) return undefined;
  return list.map((t, i) => {
    const fn = (t as { function?: { name?: unknown; description?: unknown; parameters?: unknown } }).function;
    if (typeof fn?.name !== 'string') throw errors.badRequest('each tool needs function.name', `tools[${i}].function.name`);
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(fn.parameters && typeof fn.parameters === 'object' ? { parameters: fn.parameters as Record<string, unknown> } : {}),
    };
  });
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

function message(m: NonNullable<ChatBody['messages']>[number], i: number): Message {
  if (!ROLES.has(m.role)) throw errors.badRequest(`role must be one of system, user, assistant, tool (got '${m.role}')`, `messages[${i}].role`);
  const out: Message = { role: m.role as Message['role'], text: m.content ?? '' };
  if (m.images?.length) out.images = m.images;
  if (m.thinking) out.thinking = m.thinking;
  if (m.tool_calls?.length) {
    out.toolCalls = m.tool_calls.map((tc, j) => {
      const fn = (tc as { function?: { name?: unknown; arguments?: unknown } }).function;
      if (typeof fn?.name !== 'string') throw errors.badRequest('a tool call needs function.name', `messages[${i}].tool_calls[${j}].function.name`);
      const args = fn.arguments && typeof fn.arguments === 'object' ? (fn.arguments as Record<string, unknown>) : {};
      return { name: fn.name, arguments: args };
    });
  }
  if (m.role === 'tool' && m.tool_name) out.toolName = m.tool_name;
  return out;
}

/**
 * Tool results name their function, not a call id, in Ollama's wire: each one answers the
 * earliest unanswered call of that name (or simply the next unanswered call), and calls get ids
 * so an OpenAI-compatible engine can pair them.
 */
function pairToolResults(messages: Message[]): void {
  const open: Array<{ id: string; name: string }> = [];
  let n = 0;
  for (const m of messages) {
    for (const tc of m.toolCalls ?? []) {
      tc.id = `call_${n++}`;
      open.push({ id: tc.id, name: tc.name });
    }
    if (m.role === 'tool') {
      const at = m.toolName ? open.findIndex((c) => c.name === m.toolName) : 0;
      const call = at >= 0 ? open.splice(at, 1)[0] : undefined;
      if (call) {
        m.toolCallId = call.id;
        m.toolName ??= call.name;
      }
    }
  }
}

export function nativeChatToGeneration(body: ChatBody): Generation {
  const messages = (body.messages ?? []).map(message);
  pairToolResults(messages);
  const gen: Generation = { model: body.model, stream: body.stream !== false, input: { kind: 'chat', messages }, sampling: sampling(body.options) };
  const t = tools(body.tools);
  if (t) gen.tools = t;
  const f = format(body.format);
  if (f) gen.format = f;
  const r = reasoning(body.think);
  if (r !== undefined) gen.reasoning = r;
  return gen;
}

export function nativeGenerateToGeneration(body: GenerateBody): Generation {
  if (body.raw || body.template || body.context?.length) {
    const field = body.raw ? 'raw' : body.template ? 'template' : 'context';
    throw errors.badRequest(`${field} is Ollama's own prompt templating, which an OpenAI-compatible engine does not have; send the prompt without it`, field);
  }
  const s = sampling(body.options);
  let gen: Generation;
  if (body.system || body.images?.length) {
    // A system prompt or images need the chat form on an OpenAI-compatible engine.
    const messages: Message[] = [];
    if (body.system) messages.push({ role: 'system', text: body.system });
    messages.push({ role: 'user', text: body.prompt ?? '', ...(body.images?.length ? { images: body.images } : {}) });
    gen = { model: body.model, stream: body.stream !== false, input: { kind: 'chat', messages }, sampling: s };
  } else {
    gen = { model: body.model, stream: body.stream !== false, input: { kind: 'prompt', prompt: body.prompt ?? '', ...(body.suffix ? { suffix: body.suffix } : {}) }, sampling: s };
  }
  const f = format(body.format);
  if (f) gen.format = f;
  const r = reasoning(body.think);
  if (r !== undefined) gen.reasoning = r;
  return gen;
}
