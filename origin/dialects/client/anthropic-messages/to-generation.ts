/** An Anthropic Messages request as a Generation. */
import { errors } from '../../../../shared/errors.ts';
import type { Generation, Message, Reasoning, Tool, ToolChoice } from '../../../core/generation.ts';
import { usableStops } from '../../stop-sequences.ts';
import type { AnthropicMessage, ContentBlock, CountTokensRequest, MessagesRequest } from './schema.ts';

type Block = ContentBlock & Record<string, unknown>;

function imageData(b: Block, field: string): string {
  const src = b.source as { type: string; data?: string };
  if (src.type !== 'base64' || typeof src.data !== 'string') {
    throw errors.badRequest(`image source must be {type: "base64", media_type, data}; the origin does not fetch URLs (got type "${src.type}")`, `${field}.source`);
  }
  return src.data;
}

/** A tool_result's content: text joined, images kept. */
function resultContent(b: Block, field: string): { text: string; images: string[] } {
  const c = b.content as string | Block[] | undefined;
  if (c === undefined) return { text: '', images: [] };
  if (typeof c === 'string') return { text: c, images: [] };
  let text = '';
  const images: string[] = [];
  c.forEach((p, i) => {
    if (p.type === 'text') text += p.text as string;
    else if (p.type === 'image') images.push(imageData(p, `${field}.content[${i}]`));
  });
  return { text, images };
}

/**
 * One Anthropic message may become several turns: its tool_result blocks are tool turns of
 * their own (before any text the user added), the rest one user/assistant/system turn.
 */
function toMessages(m: AnthropicMessage, index: number, toolNames: Map<string, string>): Message[] {
  const role = m.role;
  if (typeof m.content === 'string') return [{ role, text: m.content }];
  const out: Message[] = [];
  const turn: Message = { role, text: '' };
  m.content.forEach((raw, j) => {
    const b = raw as Block;
    const field = `messages[${index}].content[${j}]`;
    switch (b.type) {
      case 'text':
        turn.text += b.text as string;
        break;
      case 'image':
        (turn.images ??= []).push(imageData(b, field));
        break;
      case 'thinking':
        turn.thinking = (turn.thinking ?? '') + (b.thinking as string);
        break;
      case 'tool_use': {
        const input = b.input;
        if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
          throw errors.badRequest('tool_use.input must be an object', `${field}.input`);
        }
        toolNames.set(b.id as string, b.name as string);
        (turn.toolCalls ??= []).push({ id: b.id as string, name: b.name as string, arguments: (input as Record<string, unknown> | undefined) ?? {} });
        break;
      }
      case 'tool_result': {
        const { text, images } = resultContent(b, field);
        const id = b.tool_use_id as string;
        const result: Message = { role: 'tool', text: b.is_error === true ? `Error: ${text}` : text, toolCallId: id };
        const name = toolNames.get(id);
        if (name) result.toolName = name;
        if (images.length) result.images = images;
        out.push(result);
        break;
      }
      default:
      // redacted_thinking, documents, server-tool blocks: nothing an open engine can use.
    }
  });
  if (turn.text || turn.images?.length || turn.thinking || turn.toolCalls?.length || out.length === 0) out.push(turn);
  return out;
}

function systemText(system: CountTokensRequest['system']): string | undefined {
  if (system === undefined) return undefined;
  if (typeof system === 'string') return system;
  return system.map((b) => b.text ?? '').join('\n');
}

function tools(req: CountTokensRequest): Tool[] | undefined {
  // Only client (function) tools: server tools (web_search, bash…) have no input_schema here.
  const list = (req.tools ?? []).filter((t) => (t.type === undefined || t.type === 'custom') && t.input_schema !== undefined);
  if (list.length === 0) return undefined;
  return list.map((t) => ({ name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.input_schema! }));
}

function toolChoice(c: CountTokensRequest['tool_choice']): ToolChoice | undefined {
  if (!c) return undefined;
  if (c.type === 'any') return 'required';
  if (c.type === 'tool') return { name: c.name! };
  return c.type;
}

/** enabled and adaptive both ask the model to think (open models have no budget); disabled turns it off. */
function reasoning(t: CountTokensRequest['thinking']): Reasoning | undefined {
  if (!t) return undefined;
  return t.type !== 'disabled';
}

export function messagesToGeneration(req: CountTokensRequest & Partial<MessagesRequest>): Generation {
  const toolNames = new Map<string, string>();
  const messages: Message[] = [];
  const system = systemText(req.system);
  if (system) messages.push({ role: 'system', text: system });
  req.messages.forEach((m, i) => messages.push(...toMessages(m, i, toolNames)));
  const gen: Generation = { model: req.model, stream: req.stream ?? false, input: { kind: 'chat', messages }, sampling: {} };
  const s = gen.sampling;
  if (req.max_tokens !== undefined) s.maxTokens = req.max_tokens;
  if (req.temperature !== undefined) s.temperature = req.temperature;
  if (req.top_p !== undefined) s.topP = req.top_p;
  if (req.top_k !== undefined) s.topK = req.top_k;
  // Matched by the origin, which can then say which one ended the answer (stop_reason "stop_sequence").
  const stops = usableStops(req.stop_sequences);
  if (stops.length) gen.stopSequences = stops;
  const t = tools(req);
  if (t) gen.tools = t;
  const choice = toolChoice(req.tool_choice);
  if (choice) gen.toolChoice = choice;
  const r = reasoning(req.thinking);
  if (r !== undefined) gen.reasoning = r;
  return gen;
}
