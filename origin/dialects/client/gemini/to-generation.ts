/** A Gemini generateContent request as a Generation. */
import { errors } from '../../../../shared/errors.ts';
import type { Generation, Message, Reasoning, Tool, ToolChoice } from '../../../core/generation.ts';
import { usableStops } from '../../stop-sequences.ts';
import { toJsonSchema } from './json-schema.ts';
import type { Content, GenerateContentBody, GenerationConfig, Part } from './schema.ts';

/**
 * Call ids across the conversation. Gemini's ids are optional (its API pairs a response with
 * its call by name and order), while OpenAI-compatible engines need every tool result to name
 * its call: a call without one gets one, and a response without one answers the oldest call of
 * that name not yet answered.
 */
class CallIds {
  private readonly open = new Map<string, string[]>();
  call(name: string, given: string | undefined, at: string): string {
    const id = given ?? `call_${at}`;
    const q = this.open.get(name) ?? [];
    q.push(id);
    this.open.set(name, q);
    return id;
  }
  response(name: string, given: string | undefined, at: string): string {
    const q = this.open.get(name);
    if (given !== undefined) {
      const i = q?.indexOf(given) ?? -1;
      if (i >= 0) q!.splice(i, 1);
      return given;
    }
    return q?.shift() ?? `call_${at}`;
  }
}

/** What the engine is shown of a function's result: Gemini CLI's `{output: "…"}` as its text, anything else as JSON. */
function resultText(response: Record<string, unknown> | undefined): string {
  if (!response) return '';
  const keys = Object.keys(response);
  if (keys.length === 1 && typeof response.output === 'string') return response.output;
  if (keys.length === 1 && typeof response.error === 'string') return `Error: ${response.error}`;
  return JSON.stringify(response);
}

function image(p: Part, field: string): string {
  const d = p.inlineData!;
  if (!d.mimeType.startsWith('image/')) {
    throw errors.badRequest(`${field}.inlineData.mimeType: only images are accepted (image/png, image/jpeg, image/webp…), got "${d.mimeType}"`, `${field}.inlineData.mimeType`);
  }
  return d.data;
}

/**
 * One Gemini content may become several turns: its function responses are tool turns of their
 * own (before any text the user added), the rest one user or assistant turn.
 */
function toMessages(c: Content, index: number, ids: CallIds): Message[] {
  const role = c.role === 'model' ? 'assistant' : 'user';
  const out: Message[] = [];
  const turn: Message = { role, text: '' };
  c.parts.forEach((p, j) => {
    const field = `contents[${index}].parts[${j}]`;
    const at = `${index}_${j}`;
    if (p.fileData) throw errors.badRequest(`${field}.fileData: files by URI are not fetched here; send the bytes as inlineData`, `${field}.fileData`);
    if (p.text !== undefined && p.text !== '') {
      if (p.thought === true) turn.thinking = (turn.thinking ?? '') + p.text;
      else turn.text += p.text;
    }
    if (p.inlineData) (turn.images ??= []).push(image(p, field));
    if (p.functionCall) {
      const fc = p.functionCall;
      (turn.toolCalls ??= []).push({ id: ids.call(fc.name, fc.id, at), name: fc.name, arguments: fc.args ?? {} });
    }
    if (p.functionResponse) {
      const fr = p.functionResponse;
      out.push({ role: 'tool', text: resultText(fr.response), toolName: fr.name, toolCallId: ids.response(fr.name, fr.id, at) });
    }
  });
  if (turn.text || turn.images?.length || turn.thinking || turn.toolCalls?.length || out.length === 0) out.push(turn);
  return out;
}

function systemText(s: GenerateContentBody['systemInstruction']): string | undefined {
  if (s === undefined) return undefined;
  if (typeof s === 'string') return s;
  return s.parts.map((p) => p.text ?? '').join('\n');
}

function tools(body: GenerateContentBody): Tool[] | undefined {
  const out: Tool[] = [];
  for (const t of body.tools ?? []) {
    for (const f of t.functionDeclarations ?? []) {
      const schema = f.parametersJsonSchema ?? f.parameters;
      out.push({ name: f.name, ...(f.description !== undefined ? { description: f.description } : {}), parameters: schema ? toJsonSchema(schema) : { type: 'object', properties: {} } });
    }
  }
  return out.length ? out : undefined;
}

function toolChoice(body: GenerateContentBody): ToolChoice | undefined {
  const c = body.toolConfig?.functionCallingConfig;
  if (!c?.mode) return undefined;
  if (c.mode === 'NONE') return 'none';
  if (c.mode === 'ANY') return c.allowedFunctionNames?.length === 1 ? { name: c.allowedFunctionNames[0]! } : 'required';
  return 'auto';
}

/** A budget of 0 turns thinking off; a level asks for that effort; anything else asks the model to think. */
function reasoning(t: GenerationConfig['thinkingConfig']): Reasoning | undefined {
  if (!t) return undefined;
  if (t.thinkingBudget === 0) return false;
  switch (t.thinkingLevel) {
    case 'MINIMAL':
    case 'LOW':
      return 'low';
    case 'MEDIUM':
      return 'medium';
    case 'HIGH':
      return 'high';
    default:
      return t.includeThoughts === true || (t.thinkingBudget ?? 0) !== 0 ? true : undefined;
  }
}

function format(g: GenerationConfig): Generation['format'] {
  const schema = g.responseJsonSchema ?? g.responseSchema;
  if (schema && g.responseMimeType !== 'application/json') {
    const field = g.responseJsonSchema ? 'responseJsonSchema' : 'responseSchema';
    throw errors.badRequest(`generationConfig.${field} needs generationConfig.responseMimeType "application/json"`, `generationConfig.responseMimeType`);
  }
  if (schema) return { schema: toJsonSchema(schema) };
  return g.responseMimeType === 'application/json' ? 'json' : undefined;
}

/** The conversation of a body (generateContent, or countTokens' own form). */
export function geminiToGeneration(body: GenerateContentBody, model: string, stream: boolean): Generation {
  const ids = new CallIds();
  const messages: Message[] = [];
  const system = systemText(body.systemInstruction);
  if (system) messages.push({ role: 'system', text: system });
  body.contents.forEach((c, i) => messages.push(...toMessages(c, i, ids)));
  const gen: Generation = { model, stream, input: { kind: 'chat', messages }, sampling: {} };
  const g = body.generationConfig ?? {};
  const s = gen.sampling;
  if (g.maxOutputTokens !== undefined) s.maxTokens = g.maxOutputTokens;
  if (g.temperature !== undefined) s.temperature = g.temperature;
  if (g.topP !== undefined) s.topP = g.topP;
  if (g.topK !== undefined) s.topK = g.topK;
  if (g.seed !== undefined) s.seed = g.seed;
  if (g.presencePenalty !== undefined) s.presencePenalty = g.presencePenalty;
  if (g.frequencyPenalty !== undefined) s.frequencyPenalty = g.frequencyPenalty;
  // Matched by the origin, which ends the answer exactly there, as Gemini does.
  const stops = usableStops(g.stopSequences);
  if (stops.length) gen.stopSequences = stops;
  const f = format(g);
  if (f) gen.format = f;
  const t = tools(body);
  if (t) gen.tools = t;
  const choice = toolChoice(body);
  if (choice) gen.toolChoice = choice;
  const r = reasoning(g.thinkingConfig);
  if (r !== undefined) gen.reasoning = r;
  return gen;
}
