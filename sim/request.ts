import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { goUnmarshalMessage } from './go-errors.ts';
import type { ModelConfig } from './types.ts';

/**
 * An error Ollama answers before streaming: status + message for `{"error": message}`. On `/v1`,
 * `layer` says who answers: the OpenAI middleware's own checks (`middleware`: type by status,
 * gin's c.JSON) or the native handler behind it (`handler`: always `api_error`, json.Encoder).
 */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly layer: 'handler' | 'middleware' = 'handler') {
    super(message);
  }
}

const maxBody = 32 << 20;

/** Reads and JSON-parses a body with Ollama's 400 texts for the empty and the broken case. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBody) throw new HttpError(413, 'request body too large');
    chunks.push(c);
  }
  if (size === 0) throw new HttpError(400, 'missing request body');
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const first = text.trimStart()[0];
    throw new HttpError(400, first === '{' || first === '[' ? 'unexpected EOF' : `invalid character '${first ?? ''}' looking for beginning of value`);
  }
}

/** Parses with zod, turning the first issue into Go's unmarshal error for that struct (400). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, goStruct: string, layer: HttpError['layer'] = 'handler'): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw new HttpError(400, goUnmarshalMessage(goStruct.includes('.') ? goStruct : `api.${goStruct}`, body, r.error.issues), layer);
}

const keepAlive = z.union([z.number(), z.string()]).nullish();
const options = z.record(z.string(), z.unknown()).nullish();
const think = z.union([z.boolean(), z.enum(['low', 'medium', 'high'])]).nullish();

const message = z.object({
  role: z.string(),
  content: z.string().nullish(),
  thinking: z.string().nullish(),
  images: z.array(z.string()).nullish(),
  tool_calls: z.array(z.unknown()).nullish(),
  tool_name: z.string().nullish(),
  tool_call_id: z.string().nullish(),
});

export const chatSchema = z.object({
  model: z.string().default(''),
  messages: z.array(message).nullish(),
  stream: z.boolean().nullish(),
  format: z.unknown().optional(),
  keep_alive: keepAlive,
  options,
  think,
  tools: z.array(z.unknown()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
});
export type ChatBody = z.infer<typeof chatSchema>;

export const generateSchema = z.object({
  model: z.string().default(''),
  prompt: z.string().nullish(),
  suffix: z.string().nullish(),
  system: z.string().nullish(),
  template: z.string().nullish(),
  raw: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  format: z.unknown().optional(),
  keep_alive: keepAlive,
  options,
  think,
  images: z.array(z.string()).nullish(),
  context: z.array(z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
});
export type GenerateBody = z.infer<typeof generateSchema>;

export const embedSchema = z.object({
  model: z.string().default(''),
  input: z.unknown().optional(),
  truncate: z.boolean().nullish(),
  dimensions: z.number().int().nullish(),
  keep_alive: keepAlive,
  options,
});

export const embeddingsSchema = z.object({
  model: z.string().default(''),
  prompt: z.string().default(''),
  keep_alive: keepAlive,
  options,
});

export const showSchema = z.object({ model: z.string().optional(), name: z.string().optional(), verbose: z.boolean().nullish() });

/** Ollama's logprobs fields: top_logprobs 0–20 (400 otherwise); undefined when logprobs is off. */
export function topLogprobs(logprobs: boolean | null | undefined, top: number | null | undefined): number | undefined {
  if (top !== null && top !== undefined && (top < 0 || top > 20)) throw new HttpError(400, 'top_logprobs must be between 0 and 20');
  return logprobs ? (top ?? 0) : undefined;
}

/** Go time.ParseDuration → ms (negative means forever, as Ollama treats it). */
export function parseKeepAlive(v: number | string | null | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v < 0 ? -1 : v * 1000;
  const ms = parseGoDuration(v);
  if (ms === null) throw new HttpError(400, `time: invalid duration "${v}"`);
  return ms < 0 ? -1 : ms;
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(s: string): number | null {
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return null;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(s)) !== null) total += Number(p[1]) * (unitMs[p[2] as string] ?? 0);
  return m[1] === '-' ? -total : total;
}

const intOpts = new Set(['num_keep', 'seed', 'num_predict', 'top_k', 'repeat_last_n', 'num_ctx', 'num_batch', 'num_gpu', 'main_gpu', 'num_thread']);
const floatOpts = new Set(['top_p', 'min_p', 'typical_p', 'temperature', 'repeat_penalty', 'presence_penalty', 'frequency_penalty']);
const boolOpts = new Set(['use_mmap', 'numa', 'low_vram', 'f16_kv', 'vocab_only', 'use_mlock', 'penalize_newline']);

/** Ollama's Options.FromMap: unknown keys ignored, wrong types are a 500 with these texts. */
export function checkOptions(opts: Record<string, unknown> | null | undefined): { numPredict?: number; seed?: number; stop?: string[] } {
  const out: { numPredict?: number; seed?: number; stop?: string[] } = {};
  if (!opts) return out;
  for (const [k, v] of Object.entries(opts)) {
    if (v === null || v === undefined) continue;
    if (intOpts.has(k)) {
      if (typeof v !== 'number') throw new HttpError(500, `option "${k}" must be of type integer`);
      if (k === 'num_predict') out.numPredict = Math.trunc(v);
      if (k === 'seed') out.seed = Math.trunc(v);
    } else if (floatOpts.has(k)) {
      if (typeof v !== 'number') throw new HttpError(500, `option "${k}" must be of type float32`);
    } else if (boolOpts.has(k)) {
      if (typeof v !== 'boolean') throw new HttpError(500, `option "${k}" must be of type boolean`);
    } else if (k === 'stop') {
      if (!Array.isArray(v)) throw new HttpError(500, `option "${k}" must be of type array`);
      if (!v.every((s) => typeof s === 'string')) throw new HttpError(500, `option "${k}" must be of an array of strings`);
      out.stop = v as string[];
    }
  }
  return out;
}

/** Ollama name resolution: case-insensitive, a missing tag means ":latest". */
export function resolveModel(models: readonly ModelConfig[], name: string): ModelConfig | undefined {
  let n = name.trim().toLowerCase();
  const slash = n.lastIndexOf('/');
  if (!n.slice(slash + 1).includes(':')) n += ':latest';
  if (n.startsWith('registry.ollama.ai/library/')) n = n.slice('registry.ollama.ai/library/'.length);
  return models.find((m) => m.name.toLowerCase() === n);
}
