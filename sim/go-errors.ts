/**
 * The texts Go's encoding/json (and Ollama's custom unmarshalers) give for a body of the wrong
 * shape, as the real server answers them (checked by test/conformance/). Only the first problem
 * is reported, as Go stops at the first.
 */
import type { z } from 'zod';

/** Go type of each field Ollama's request structs declare (`field[]` = an element of a slice field). */
const goFieldTypes: Record<string, Record<string, string>> = {
  'api.ChatRequest': {
    model: 'string', messages: '[]api.Message', 'messages[]': 'api.Message', 'messages.role': 'string', 'messages.content': 'string',
    'messages.thinking': 'string', 'messages.images': '[]api.ImageData', 'messages.tool_calls': '[]api.ToolCall', 'messages.tool_name': 'string',
    stream: 'bool', options: 'map[string]interface {}', tools: 'api.Tools', 'tools[]': 'api.Tool',
  },
  'api.GenerateRequest': {
    model: 'string', prompt: 'string', suffix: 'string', system: 'string', template: 'string', raw: 'bool', stream: 'bool',
    images: '[]api.ImageData', context: '[]int', 'context[]': 'int', options: 'map[string]interface {}',
  },
  'api.EmbedRequest': { model: 'string', truncate: 'bool', dimensions: 'int', options: 'map[string]interface {}' },
  'api.EmbeddingRequest': { model: 'string', prompt: 'string', options: 'map[string]interface {}' },
  'api.ShowRequest': { model: 'string', name: 'string', verbose: 'bool', system: 'string' },
  'openai.ChatCompletionRequest': {
    model: 'string', messages: '[]openai.Message', 'messages[]': 'openai.Message', 'messages.role': 'string', stream: 'bool',
    stream_options: 'openai.StreamOptions', max_tokens: 'int', seed: 'int', temperature: 'float64', top_p: 'float64',
    tools: '[]api.Tool', reasoning_effort: 'string', logprobs: 'bool', top_logprobs: 'int',
  },
  'openai.CompletionRequest': { model: 'string', prompt: 'string', stream: 'bool', max_tokens: 'int', seed: 'int', temperature: 'float32', top_p: 'float32', suffix: 'string' },
  'openai.EmbedRequest': { model: 'string', dimensions: 'int', encoding_format: 'string' },
};

/** JSON kind as Go names it in "cannot unmarshal X into …". */
export function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** The Go type name of a JSON value as `interface{}` holds it (Ollama's Duration error names it). */
function goDynamicType(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object' && v !== null) return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** The message for the first zod issue of `body` against a request struct (e.g. "api.ChatRequest"). */
export function goUnmarshalMessage(goStruct: string, body: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  const path = issue?.path ?? [];
  if (path.length === 0) return `json: cannot unmarshal ${jsonKind(body)} into Go value of type ${goStruct}`;
  let value: unknown = body;
  for (const k of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey];
  const top = String(path[0]);
  if (top === 'keep_alive') return `Unsupported type: '${goDynamicType(value)}'`;
  if (top === 'think') {
    return typeof value === 'string'
      ? `invalid think value: "${value}" (must be "high", "medium", "low", true, or false)`
      : 'think must be a boolean or string ("high", "medium", "low", true, or false)';
  }
  // Go names the field path without slice indices; an element of a slice has the element's type.
  const names = path.filter((p) => typeof p === 'string') as string[];
  const field = names.join('.');
  const elem = typeof path[path.length - 1] === 'number';
  const types = goFieldTypes[goStruct] ?? {};
  const goType = (elem ? types[`${field}[]`] : types[field]) ?? types[field] ?? 'string';
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${goStruct.split('.')[1]}.${field} of type ${goType}`;
}
