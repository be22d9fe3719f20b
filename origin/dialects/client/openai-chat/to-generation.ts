/** An OpenAI chat request as a Generation. */
import { errors } from '../../../../shared/errors.ts';
import type { ChatCompletionRequest, ChatMessage } from '../../../../shared/schemas/openai.ts';
import type { Generation, Message, ToolChoice } from '../../../core/generation.ts';
import { reasoningFromEffort } from '../openai-common/reasoning.ts';
import { openAiSampling } from '../openai-common/sampling.ts';

const DATA_URL = /^data:image\/[a-z+.-]+;base64,(.+)$/i;

function toMessage(m: ChatMessage, index: number, toolNames: Map<string, string> | undefined): Message {
  let text = '';
  let images: string[] | undefined;
  if (typeof m.content === 'string') text = m.content;
  else if (Array.isArray(m.content)) {
    m.content.forEach((part, j) => {
      if (part.type === 'text') text += part.text;
      else {
        const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
        const match = DATA_URL.exec(url);
        if (!match) {
          throw errors.badRequest(
            'image_url must be a base64 data URL (data:image/png;base64,…); the origin does not fetch remote URLs',
            `messages[${index}].content[${j}].image_url`,
          );
        }
        (images ??= []).push(match[1]!);
      }
    });
  }
  const out: Message = { role: m.role === 'developer' ? 'system' : m.role, text };
  if (images) out.images = images;
  const thinking = m.reasoning ?? m.reasoning_content;
  if (thinking) out.thinking = thinking;
  if (m.tool_calls?.length) {
    out.toolCalls = m.tool_calls.map((tc, j) => {
      if (tc.id) toolNames!.set(tc.id, tc.function.name);
      let args: Record<string, unknown>;
      try {
        args = JSON.parse(tc.function.arguments || '{}') as Record<string, unknown>;
      } catch {
        throw errors.badRequest('function.arguments must be a JSON object encoded as a string', `messages[${index}].tool_calls[${j}].function.arguments`);
      }
      return { id: tc.id, name: tc.function.name, arguments: args };
    });
  }
  if (m.role === 'tool') {
    if (m.tool_call_id) out.toolCallId = m.tool_call_id;
    const name = (m.tool_call_id && toolNames?.get(m.tool_call_id)) ?? m.name;
    if (name) out.toolName = name;
  }
  return out;
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  const name = (v as { function?: { name?: unknown } } | null)?.function?.name;
  return typeof name === 'string' ? { name } : undefined;
}

export function chatToGeneration(req: ChatCompletionRequest): Generation {
  // Tool results are named by the calls before them; a conversation without calls needs no map.
  const toolNames = req.messages.some((m) => m.tool_calls?.length) ? new Map<string, string>() : undefined;
  const gen: Generation = {
    model: req.model,
    stream: req.stream,
    input: { kind: 'chat', messages: req.messages.map((m, i) => toMessage(m, i, toolNames)) },
    sampling: openAiSampling(req, req.max_completion_tokens ?? req.max_tokens),
  };
  if (req.tools?.length) gen.tools = req.tools.map((t) => ({ name: t.function.name, ...(t.function.description !== undefined ? { description: t.function.description } : {}), ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}) }));
  const choice = toolChoice(req.tool_choice);
  if (choice) gen.toolChoice = choice;
  if (req.response_format?.type === 'json_object') gen.format = 'json';
  else if (req.response_format?.type === 'json_schema') gen.format = { schema: req.response_format.json_schema.schema };
  const effort = req.reasoning?.effort ?? req.reasoning_effort;
  if (effort) gen.reasoning = reasoningFromEffort(effort);
  if (req.logprobs) gen.logprobs = { top: req.top_logprobs ?? 0 };
  else if (req.top_logprobs) throw errors.badRequest('top_logprobs needs logprobs: true', 'top_logprobs');
  return gen;
}
