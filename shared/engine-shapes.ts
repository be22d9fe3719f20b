/**
 * Where each route's body is decoded into structs, for the key check of shared/json-body.ts: a
 * key that folds (Go's case folding) to one of a struct's fields must be spelled exactly as it.
 *
 * Ollama-native routes are relayed to Ollama, so their shapes are Ollama 0.17.4's own request
 * structs (api/types.go: ChatRequest, GenerateRequest, EmbedRequest, EmbeddingRequest,
 * ShowRequest, Message, ToolCall, Tool, ToolFunction, ToolFunctionParameters, ToolProperty).
 * Its maps stay maps here: `options` (Options.FromMap matches keys exactly), `format`
 * (json.RawMessage), tool-call `arguments` and tool `properties` (ordered maps, keyed by the
 * client's own names, so a parameter may well be called "Name" or "Type").
 *
 * The other routes build the engine's body themselves from the validated value (or, OpenAI to
 * an OpenAI-compatible engine, forward it re-serialised): their shapes are the fields the gateway
 * itself reads, so none can arrive at an engine that matches names ignoring case in a spelling
 * the gateway did not validate, plus the client's tool schemas, which become Ollama's
 * ToolFunctionParameters as they are.
 */
import type { EngineShape } from './json-body.ts';
import { foldKey } from './json-body.ts';

export function struct(fields: Record<string, EngineShape | null>): Extract<EngineShape, { kind: 'struct' }> {
  return { kind: 'struct', fields, byFold: new Map(Object.keys(fields).map((f) => [foldKey(f), f])) };
}
const mapOf = (values: EngineShape | null): EngineShape => ({ kind: 'map', values });
const listOf = (items: EngineShape | null): EngineShape => ({ kind: 'list', items });
/** Fields that hold no object or array the engine decodes further (strings, numbers, `any`). */
const leaves = (...names: string[]): Record<string, null> => Object.fromEntries(names.map((n) => [n, null]));

/** Ollama's ToolProperty: a property schema, recursive through `anyOf` and `properties`. */
const toolProperty = struct(leaves('anyOf', 'type', 'items', 'description', 'enum', 'properties'));
toolProperty.fields.anyOf = listOf(toolProperty);
toolProperty.fields.properties = mapOf(toolProperty);

/** Ollama's ToolFunctionParameters: a tool's JSON schema, wherever the client's dialect puts it. */
export const toolParameters = struct({ ...leaves('type', '$defs', 'items', 'required'), properties: mapOf(toolProperty) });

const ollamaTool = struct({ ...leaves('type', 'items'), function: struct({ ...leaves('name', 'description'), parameters: toolParameters }) });
const ollamaToolCall = struct({ ...leaves('id'), function: struct(leaves('index', 'name', 'arguments')) });
const ollamaMessage = struct({ ...leaves('role', 'content', 'thinking', 'images', 'tool_name', 'tool_call_id'), tool_calls: listOf(ollamaToolCall) });
/** Every Ollama request struct's `options` is a map[string]any: a leaf for the key check. */
const ollamaCommon = leaves('model', 'stream', 'keep_alive', 'options');
const ollamaGenerationFlags = leaves('format', 'think', 'truncate', 'shift', '_debug_render_only', 'logprobs', 'top_logprobs');

const ollamaChat = struct({ ...ollamaCommon, ...ollamaGenerationFlags, messages: listOf(ollamaMessage), tools: listOf(ollamaTool) });
const ollamaGenerate = struct({
  ...ollamaCommon,
  ...ollamaGenerationFlags,
  ...leaves('prompt', 'suffix', 'system', 'template', 'context', 'raw', 'images', 'width', 'height', 'steps'),
});
const ollamaEmbed = struct(leaves('model', 'input', 'keep_alive', 'truncate', 'dimensions', 'options'));
const ollamaEmbeddings = struct(leaves('model', 'prompt', 'keep_alive', 'options'));
const ollamaShow = struct(leaves('model', 'name', 'system', 'template', 'verbose', 'options'));

/** The fields shared/schemas/openai.ts reads (test/dialects/engine-shapes.test.ts keeps the lists in step). */
export const OPENAI_COMMON_FIELDS = ['model', 'stream', 'stream_options', 'temperature', 'top_p', 'max_tokens', 'stop', 'seed', 'frequency_penalty', 'presence_penalty', 'n', 'user'];
export const OPENAI_CHAT_FIELDS = [...OPENAI_COMMON_FIELDS, 'messages', 'max_completion_tokens', 'tools', 'tool_choice', 'response_format', 'reasoning_effort', 'reasoning', 'logprobs', 'top_logprobs'];
export const OPENAI_MESSAGE_FIELDS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'reasoning', 'reasoning_content'];
export const OPENAI_COMPLETION_FIELDS = [...OPENAI_COMMON_FIELDS, 'prompt', 'suffix', 'echo'];
export const OPENAI_EMBEDDING_FIELDS = ['model', 'input', 'encoding_format', 'dimensions', 'user'];

const openaiFunction = struct({ ...leaves('name', 'description'), parameters: toolParameters });
const openaiChat = struct({
  ...leaves(...OPENAI_CHAT_FIELDS),
  stream_options: struct(leaves('include_usage')),
  messages: listOf(struct({ ...leaves(...OPENAI_MESSAGE_FIELDS), tool_calls: listOf(struct({ ...leaves('id', 'type'), function: struct(leaves('name', 'arguments')) })) })),
  tools: listOf(struct({ ...leaves('type'), function: openaiFunction })),
  response_format: struct({ ...leaves('type'), json_schema: struct(leaves('name', 'schema')) }),
  reasoning: struct(leaves('effort')),
});
const openaiCompletion = struct({ ...leaves(...OPENAI_COMPLETION_FIELDS), stream_options: struct(leaves('include_usage')) });
const openaiEmbedding = struct(leaves(...OPENAI_EMBEDDING_FIELDS));
/** Translated dialects: the model the gateway routes by, and the tool schemas passed on as they are. */
const responses = struct({ ...leaves('model'), tools: listOf(struct({ ...leaves('type', 'name', 'description'), parameters: toolParameters })) });
const anthropic = struct({ ...leaves('model'), tools: listOf(struct({ ...leaves('type', 'name', 'description'), input_schema: toolParameters })) });

const BY_PATH = new Map<string, EngineShape>([
  ['/api/chat', ollamaChat],
  ['/api/generate', ollamaGenerate],
  ['/api/embed', ollamaEmbed],
  ['/api/embeddings', ollamaEmbeddings],
  ['/api/show', ollamaShow],
  ['/v1/chat/completions', openaiChat],
  ['/v1/completions', openaiCompletion],
  ['/v1/embeddings', openaiEmbedding],
  ['/v1/responses', responses],
  ['/v1/messages', anthropic],
  ['/v1/messages/count_tokens', anthropic],
]);

/** The shape of `path`'s body, or null for a path with none (its keys are still checked for duplicates and case variants). */
export function engineShapeFor(path: string): EngineShape | null {
  return BY_PATH.get(path) ?? null;
}
