import { errors } from '../../shared/errors.ts';
import type { ChatCompletionRequest, ChatMessage, CompletionRequest } from '../../shared/schemas/openai.ts';
import type { UpstreamConfig } from '../config/schema.ts';
import type { OllamaMessage, OllamaToolCall } from '../ollama/types.ts';

type Common = Pick<ChatCompletionRequest, 'temperature' | 'top_p' | 'max_tokens' | 'stop' | 'seed' | 'frequency_penalty' | 'presence_penalty'>;

/** OpenAI sampling fields → Ollama `options`, plus the upstream's per-model num_ctx. */
function options(req: Common, maxTokens: number | null | undefined, up: UpstreamConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (req.temperature != null) o.temperature = req.temperature;
  if (req.top_p != null) o.top_p = req.top_p;
  if (maxTokens != null) o.num_predict = maxTokens;
  if (req.stop != null) o.stop = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.seed != null) o.seed = req.seed;
  if (req.frequency_penalty != null) o.frequency_penalty = req.frequency_penalty;
  if (req.presence_penalty != null) o.presence_penalty = req.presence_penalty;
  if (up.numCtx) o.num_ctx = up.numCtx;
  return o;
}

const DATA_URL = /^data:image\/[a-z+.-]+;base64,(.+)$/i;

function toOllamaMessage(m: ChatMessage, index: number, toolNames: Map<string, string>): OllamaMessage {
  let content = '';
  const images: string[] = [];
  if (typeof m.content === 'string') content = m.content;
  else if (Array.isArray(m.content)) {
    m.content.forEach((part, j) => {
      if (part.type === 'text') content += part.text;
      else {
        const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
        const match = DATA_URL.exec(url);
        if (!match) {
          throw errors.badRequest(
            'image_url must be a base64 data URL (data:image/png;base64,…); the origin does not fetch remote URLs',
            `messages[${index}].content[${j}].image_url`,
          );
        }
        images.push(match[1]!);
      }
    });
  }
  const out: OllamaMessage = { role: m.role === 'developer' ? 'system' : m.role, content };
  if (images.length) out.images = images;
  if (m.reasoning) out.thinking = m.reasoning;
  if (m.tool_calls?.length) {
    out.tool_calls = m.tool_calls.map((tc, j): OllamaToolCall => {
      if (tc.id) toolNames.set(tc.id, tc.function.name);
      let args: Record<string, unknown>;
      try {
        args = JSON.parse(tc.function.arguments || '{}') as Record<string, unknown>;
      } catch {
        throw errors.badRequest('function.arguments must be a JSON object encoded as a string', `messages[${index}].tool_calls[${j}].function.arguments`);
      }
      return { function: { name: tc.function.name, arguments: args } };
    });
  }
  if (m.role === 'tool') {
    const name = (m.tool_call_id && toolNames.get(m.tool_call_id)) ?? m.name;
    if (name) out.tool_name = name;
  }
  return out;
}

export function chatToOllama(req: ChatCompletionRequest, upstreamModel: string, up: UpstreamConfig, stream: boolean): Record<string, unknown> {
  const toolNames = new Map<string, string>();
  const body: Record<string, unknown> = {
    model: upstreamModel,
    messages: req.messages.map((m, i) => toOllamaMessage(m, i, toolNames)),
    stream,
    options: options(req, req.max_completion_tokens ?? req.max_tokens, up),
  };
  if (req.tools?.length) body.tools = req.tools;
  if (req.response_format?.type === 'json_object') body.format = 'json';
  else if (req.response_format?.type === 'json_schema') body.format = req.response_format.json_schema.schema;
  if (req.reasoning_effort) body.think = req.reasoning_effort;
  if (up.keepAlive !== undefined) body.keep_alive = up.keepAlive;
  return body;
}

export function completionToOllama(req: CompletionRequest, upstreamModel: string, up: UpstreamConfig, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: upstreamModel,
    prompt: typeof req.prompt === 'string' ? req.prompt : req.prompt[0],
    stream,
    options: options(req, req.max_tokens, up),
  };
  if (req.suffix) body.suffix = req.suffix;
  if (up.keepAlive !== undefined) body.keep_alive = up.keepAlive;
  return body;
}
