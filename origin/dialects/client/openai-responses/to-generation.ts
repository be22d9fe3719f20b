/** An OpenAI Responses request as a Generation. */
import { errors } from '../../../../shared/errors.ts';
import type { Generation, Message, Reasoning, ToolChoice } from '../../../core/generation.ts';
import type { InputItem, ResponsesRequest } from './schema.ts';

const DATA_URL = /^data:image\/[a-z+.-]+;base64,(.+)$/i;

type Part = { type: string; text?: string | undefined; image_url?: string | null | undefined };

function partsToTurn(parts: Part[], field: string): { text: string; images: string[] } {
  let text = '';
  const images: string[] = [];
  parts.forEach((p, i) => {
    if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') text += p.text ?? '';
    else if (p.type === 'input_image') {
      const match = DATA_URL.exec(p.image_url ?? '');
      if (!match) throw errors.badRequest('input_image needs image_url as a base64 data URL (data:image/png;base64,…); the origin fetches no URLs and keeps no files', `${field}[${i}].image_url`);
      images.push(match[1]!);
    }
    // refusal, input_file…: nothing an open engine can read.
  });
  return { text, images };
}

function toMessages(items: InputItem[], toolNames: Map<string, string>): Message[] {
  const out: Message[] = [];
  let thinking: string | undefined;
  // The last assistant turn, so function calls and reasoning join the turn they belong to.
  const assistant = (): Message => {
    const last = out[out.length - 1];
    if (last?.role === 'assistant') return last;
    const m: Message = { role: 'assistant', text: '' };
    out.push(m);
    return m;
  };
  items.forEach((raw, i) => {
    const item = raw as InputItem & Record<string, unknown>;
    const field = `input[${i}]`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role as 'user' | 'assistant' | 'system' | 'developer';
      const content = item.content as string | Part[];
      const { text, images } = typeof content === 'string' ? { text: content, images: [] } : partsToTurn(content, `${field}.content`);
      const m: Message = { role: role === 'developer' ? 'system' : role, text };
      if (images.length) m.images = images;
      if (role === 'assistant' && thinking) {
        m.thinking = thinking;
        thinking = undefined;
      }
      out.push(m);
    } else if (type === 'reasoning') {
      const parts = (item.content as Array<{ text: string }> | null | undefined) ?? (item.summary as Array<{ text: string }> | undefined) ?? [];
      thinking = (thinking ?? '') + parts.map((p) => p.text).join('');
    } else if (type === 'function_call') {
      let args: Record<string, unknown>;
      try {
        args = JSON.parse((item.arguments as string) || '{}') as Record<string, unknown>;
      } catch {
        throw errors.badRequest('arguments must be a JSON object encoded as a string', `${field}.arguments`);
      }
      const m = assistant();
      if (thinking) {
        m.thinking = thinking;
        thinking = undefined;
      }
      toolNames.set(item.call_id as string, item.name as string);
      (m.toolCalls ??= []).push({ id: item.call_id as string, name: item.name as string, arguments: args });
    } else if (type === 'function_call_output') {
      const output = item.output as string | Part[];
      const { text, images } = typeof output === 'string' ? { text: output, images: [] } : partsToTurn(output, `${field}.output`);
      const m: Message = { role: 'tool', text, toolCallId: item.call_id as string };
      const name = toolNames.get(item.call_id as string);
      if (name) m.toolName = name;
      if (images.length) m.images = images;
      out.push(m);
    } else if (type === 'item_reference') {
      throw errors.badRequest('item_reference needs stored items; this gateway is stateless: send the item itself', `${field}.type`);
    }
    // Other items (web_search_call, custom_tool_call…) come from tools this gateway does not run.
  });
  return out;
}

/** `none` turns reasoning off; `minimal` and `xhigh` are the nearest levels open models have. */
function reasoning(effort: string | null | undefined): Reasoning | undefined {
  if (!effort) return undefined;
  if (effort === 'none') return false;
  if (effort === 'minimal') return 'low';
  if (effort === 'xhigh') return 'high';
  return effort as 'low' | 'medium' | 'high';
}

function toolChoice(c: ResponsesRequest['tool_choice']): ToolChoice | undefined {
  if (c === undefined) return undefined;
  if (typeof c === 'string') return c;
  return c.type === 'function' && c.name ? { name: c.name } : undefined;
}

export function responsesToGeneration(req: ResponsesRequest): Generation {
  const messages: Message[] = [];
  if (req.instructions) messages.push({ role: 'system', text: req.instructions });
  if (typeof req.input === 'string') messages.push({ role: 'user', text: req.input });
  else messages.push(...toMessages(req.input, new Map()));
  const gen: Generation = { model: req.model, stream: req.stream, input: { kind: 'chat', messages }, sampling: {} };
  if (req.max_output_tokens != null) gen.sampling.maxTokens = req.max_output_tokens;
  if (req.temperature != null) gen.sampling.temperature = req.temperature;
  if (req.top_p != null) gen.sampling.topP = req.top_p;
  // Function tools only: web_search, namespace, local_shell… are tools this gateway cannot run.
  const tools = (req.tools ?? []).filter((t) => t.type === 'function' && t.name);
  if (tools.length) gen.tools = tools.map((t) => ({ name: t.name!, ...(t.description ? { description: t.description } : {}), ...(t.parameters ? { parameters: t.parameters } : {}) }));
  const choice = toolChoice(req.tool_choice);
  if (choice) gen.toolChoice = choice;
  const r = reasoning(req.reasoning?.effort);
  if (r !== undefined) gen.reasoning = r;
  const f = req.text?.format;
  if (f?.type === 'json_object') gen.format = 'json';
  else if (f?.type === 'json_schema') gen.format = { schema: f.schema as Record<string, unknown> };
  return gen;
}
