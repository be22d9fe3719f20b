/**
 * The one route table. Every concern reads it instead of keeping its own list: the origin mounts
 * a handler per entry (origin/app.ts), metrics label by it, quotas meter by it, personas and the
 * admission class come from it, error bodies and stream error frames take its dialect's shape
 * (origin and edge alike), the key extractor reads where its family carries the tenant key, and
 * the edge's allow-list reads the model in its path and the names in its model list. Adding a
 * route is one entry here plus its dialect's folder (and, for a new error wire, its file in
 * shared/dialects/ and its line in ERROR_SHAPES below).
 */
import { anthropicErrors } from './dialects/anthropic.ts';
import type { ErrorShape } from './dialects/error-shape.ts';
import { geminiErrors } from './dialects/gemini.ts';
import { ollamaErrors } from './dialects/ollama.ts';
import { openaiErrors } from './dialects/openai.ts';
import { responsesErrors } from './dialects/responses.ts';

/**
 * Each client family's own way to say that something failed (shared/dialects/<name>.ts), by the
 * name a route's `errors` gives: the origin and the edge answer and end streams in that shape.
 */
export const ERROR_SHAPES = {
  openai: openaiErrors,
  ollama: ollamaErrors,
  anthropic: anthropicErrors,
  responses: responsesErrors,
  gemini: geminiErrors,
} as const satisfies Record<string, ErrorShape>;

export type ErrorDialect = keyof typeof ERROR_SHAPES;

/** Which client dialect serves a route (origin/dialects/client/<name>/). */
export type ClientDialectName =
  | 'openai-chat'
  | 'openai-completions'
  | 'openai-embeddings'
  | 'openai-models'
  | 'openai-model'
  | 'ollama-native'
  | 'ollama-root'
  | 'ollama-list'
  | 'anthropic-messages'
  | 'anthropic-count-tokens'
  | 'openai-responses'
  | 'gemini'
  | 'gemini-count-tokens'
  | 'gemini-models';

/** The part of an upstream body a persona may change (origin/upstream/dialects/<name>/persona.ts). */
export type BodyShape = 'chat' | 'prompt' | 'embed' | 'none';

/** How a request is charged against a tenant's quota: generation estimates completion tokens too. */
export type Metering = 'generation' | 'embedding' | false;

export interface RouteEntry {
  method: 'GET' | 'POST';
  path: string;
  dialect: ClientDialectName;
  /** Shape of error bodies and of a stream's last error frame on this route. */
  errors: ErrorDialect;
  metered: Metering;
  /** Admission class when neither the tenant's config nor the client's header sets one. */
  priority: 'interactive' | 'batch';
  /** What a persona (routing alias) may inject into the upstream body. */
  persona: BodyShape;
  /** The body names a model (allow-list, routing, the record's publicModel). */
  namesModel: boolean;
  /**
   * When the answer is a stream: Ollama streams unless told `stream: false`, OpenAI only on
   * `stream: true`; Gemini's stream is a route of its own (`:streamGenerateContent`).
   */
  streams: 'unless-false' | 'if-true' | 'always' | 'never';
  /**
   * The header this route's clients carry the tenant key in, besides `Authorization`
   * (shared/api-key.ts). Every declared header is read on every route and dropped by the edge
   * on every request (a credential never goes on, whichever route it came with).
   */
  keyHeader?: string;
  /**
   * The query parameter that may carry the tenant key on this route, read there and nowhere else
   * (a key in a URL ends up in histories and proxy logs). The edge strips it before forwarding.
   */
  keyParam?: string;
  /**
   * A route whose answer is a list of models: the array's field and where each item names its
   * model (the first present of `names`, less `prefix`), so the edge shows a tenant with an
   * allow-list only the models it may call (shared/model-allow-list.ts).
   */
  modelList?: { field: string; names: readonly string[]; prefix?: string };
}

const r = (method: RouteEntry['method'], path: string, dialect: ClientDialectName, rest: Omit<RouteEntry, 'method' | 'path' | 'dialect'>): RouteEntry => ({ method, path, dialect, ...rest });

const gen = { metered: 'generation', namesModel: true, streams: 'if-true' } as const;
const emb = { metered: 'embedding', namesModel: true, persona: 'embed', priority: 'batch', streams: 'never' } as const;
const list = { metered: false, namesModel: false, persona: 'none', priority: 'interactive', streams: 'never' } as const;
const openaiList = { field: 'data', names: ['id'] } as const;
const ollamaList = { field: 'models', names: ['name', 'model'] } as const;
const anthropic = { errors: 'anthropic', keyHeader: 'x-api-key' } as const;
/**
 * Gemini (origin/dialects/client/gemini/): the model is in the path, before the method
 * (`…/{model}:generateContent`); the key comes in `x-goog-api-key` or `?key=`; the model list
 * names its models as resources, `models/<name>`.
 */
const gemini = { errors: 'gemini', keyHeader: 'x-goog-api-key', keyParam: 'key' } as const;
const geminiList = { field: 'models', names: ['name', 'model'], prefix: 'models/' } as const;

export const ROUTES: readonly RouteEntry[] = [
  r('POST', '/v1/chat/completions', 'openai-chat', { ...gen, errors: 'openai', priority: 'interactive', persona: 'chat' }),
  // Completions are mostly batch work (summaries, tagging); chat stays ahead of them.
  r('POST', '/v1/completions', 'openai-completions', { ...gen, errors: 'openai', priority: 'batch', persona: 'prompt' }),
  r('POST', '/v1/embeddings', 'openai-embeddings', { ...emb, errors: 'openai' }),
  r('GET', '/v1/models', 'openai-models', { ...list, errors: 'openai', modelList: openaiList }),
  r('POST', '/v1/responses', 'openai-responses', { ...gen, errors: 'responses', priority: 'interactive', persona: 'chat' }),
  // Model names hold ':' and '/' (hf.co/org/model:tag): the id is the rest of the path.
  r('GET', '/v1/models/:model{.+}', 'openai-model', { ...list, errors: 'openai' }),
  r('POST', '/v1/messages', 'anthropic-messages', { ...gen, ...anthropic, priority: 'interactive', persona: 'chat' }),
  // The engine counts (one prefill): metered like a prompt, with no completion to estimate.
  r('POST', '/v1/messages/count_tokens', 'anthropic-count-tokens', { metered: 'embedding', namesModel: true, streams: 'never', ...anthropic, priority: 'interactive', persona: 'chat' }),
  r('POST', '/api/chat', 'ollama-native', { ...gen, errors: 'ollama', priority: 'interactive', persona: 'chat', streams: 'unless-false' }),
  r('POST', '/api/generate', 'ollama-native', { ...gen, errors: 'ollama', priority: 'batch', persona: 'prompt', streams: 'unless-false' }),
  r('POST', '/api/embed', 'ollama-native', { ...emb, errors: 'ollama' }),
  r('POST', '/api/embeddings', 'ollama-native', { ...emb, errors: 'ollama' }),
  r('POST', '/api/show', 'ollama-native', { metered: false, namesModel: true, persona: 'none', priority: 'interactive', errors: 'ollama', streams: 'never' }),
  r('GET', '/api/tags', 'ollama-list', { ...list, errors: 'ollama', modelList: ollamaList }),
  r('GET', '/api/ps', 'ollama-list', { ...list, errors: 'ollama', modelList: ollamaList }),
  r('GET', '/api/version', 'ollama-list', { ...list, errors: 'ollama' }),
  // Ollama's liveness answer; its CLI and Claude Code probe `HEAD /` before anything else.
  r('GET', '/', 'ollama-root', { ...list, errors: 'ollama' }),
  // Google serves generation under v1 too (the Python SDK's default); the model lists only under
  // v1beta, as GET /v1/models is OpenAI's.
  ...['/v1beta', '/v1'].flatMap((v) => [
    r('POST', `${v}/models/:model{.+:generateContent}`, 'gemini', { ...gen, ...gemini, priority: 'interactive', persona: 'chat', streams: 'never' }),
    r('POST', `${v}/models/:model{.+:streamGenerateContent}`, 'gemini', { ...gen, ...gemini, priority: 'interactive', persona: 'chat', streams: 'always' }),
    r('POST', `${v}/models/:model{.+:countTokens}`, 'gemini-count-tokens', { metered: 'embedding', namesModel: true, streams: 'never', ...gemini, priority: 'interactive', persona: 'chat' }),
  ]),
  r('GET', '/v1beta/models', 'gemini-models', { ...list, ...gemini, modelList: geminiList }),
  r('GET', '/v1beta/models/:model{.+}', 'gemini-models', { ...list, ...gemini }),
];

const byKey = new Map(ROUTES.map((e) => [`${e.method} ${e.path}`, e]));
const byPath = new Map(ROUTES.map((e) => [e.path, e]));

/**
 * Entries whose path ends in a parameter: matched by what precedes it and, when its pattern ends
 * in a literal (`:model{.+:generateContent}`), by what follows it. The parameter is what is between.
 */
interface Pattern {
  prefix: string;
  suffix: string;
  entry: RouteEntry;
}
const patterns: Pattern[] = ROUTES.filter((e) => e.path.includes('/:'))
  .map((e) => {
    const at = e.path.indexOf('/:') + 1;
    const re = /\{\.\+([^{}]*)\}$/.exec(e.path.slice(at));
    return { prefix: e.path.slice(0, at), suffix: re ? re[1]! : '', entry: e };
  })
  // The most specific first: `/v1/models/{model}:generateContent` before `/v1/models/{model}`.
  .sort((a, b) => b.suffix.length - a.suffix.length);

const matches = (p: Pattern, path: string): boolean => path.length > p.prefix.length + p.suffix.length && path.startsWith(p.prefix) && path.endsWith(p.suffix);

function patternFor(method: string, path: string): Pattern | undefined {
  return patterns.find((p) => p.entry.method === method && matches(p, path));
}

/**
 * The model a path names (`GET /v1/models/{model}`, `POST /v1beta/models/{model}:generateContent`),
 * for the same allow-list checks as a body's; else null. Where a route has it in its path, the
 * path's is the model served, whatever a body says.
 */
export function modelInPath(method: string, path: string): string | null {
  const p = patternFor(method === 'HEAD' ? 'GET' : method, path);
  if (!p || !p.entry.path.includes('/:model')) return null;
  return path.slice(p.prefix.length, path.length - p.suffix.length);
}

/** The entry for a request, or undefined for a path no route serves. */
export function routeFor(method: string, path: string): RouteEntry | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return byKey.get(`${m} ${path}`) ?? patternFor(m, path)?.entry;
}

/** Whether a route asks for a tenant key: every one but Ollama's liveness answer at `/`. */
export const isKeyed = (e: RouteEntry): boolean => e.path !== '/';

/** The first segment of every keyed route (`/v1/*`, `/api/*`, `/v1beta/*`): where the edge and the origin ask for a key. */
export const KEYED_PREFIXES: readonly string[] = [...new Set(ROUTES.filter(isKeyed).map((e) => `/${e.path.split('/')[1]}/*`))];

/**
 * The error shape of a path no entry serves, by the family its prefix belongs to (an unknown
 * /api/ path is still answered the way an Ollama client reads errors; Anthropic's Message Batches,
 * /v1/messages/batches/…, as Anthropic's clients read them); the first match wins, else OpenAI's.
 */
const ERROR_FAMILIES: ReadonlyArray<readonly [prefix: string, errors: ErrorDialect]> = [
  ['/v1/messages/', 'anthropic'],
  ['/api/', 'ollama'],
  ['/v1beta/', 'gemini'],
];

/** The error shape for any path, served or not: the route's own, else its family's. */
export function errorDialectFor(path: string): ErrorDialect {
  const e = byPath.get(path) ?? patterns.find((p) => matches(p, path))?.entry;
  if (e) return e.errors;
  return ERROR_FAMILIES.find(([prefix]) => path.startsWith(prefix))?.[1] ?? 'openai';
}

/** Every header some route declares for the tenant key, after `Authorization`, in table order. */
export const KEY_HEADERS: readonly string[] = ['authorization', ...new Set(ROUTES.flatMap((e) => (e.keyHeader ? [e.keyHeader] : [])))];

/** How `GET path` lists models, when its answer is a model list. */
export function modelListOf(path: string): RouteEntry['modelList'] {
  return byKey.get(`GET ${path}`)?.modelList;
}
