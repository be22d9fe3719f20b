import { z } from 'zod';
import { requestedModel } from '../model-allow-list.ts';

/** Inputs of one embedding request, as /v1/embeddings allows: the engine runs one sequence per input. */
export const MAX_EMBED_INPUTS = 2048;

const int = z.number().int().nullish();
const num = z.number().nullish();
const bool = z.boolean().nullish();

/**
 * Ollama's documented `options` (runner and sampling parameters), typed as Ollama reads them. A
 * value of the wrong type is refused here with a 400 naming `options.<field>`; Ollama itself
 * answers it with a 500 the gateway could only relay as a 502. `null` means "not set" to Ollama
 * and is allowed; unknown options pass through (Ollama ignores them with a warning).
 */
export const ollamaOptionsSchema = z.looseObject({
  numa: bool,
  num_ctx: int,
  num_batch: int,
  num_gpu: int,
  main_gpu: int,
  low_vram: bool,
  f16_kv: bool,
  logits_all: bool,
  vocab_only: bool,
  use_mmap: bool,
  use_mlock: bool,
  num_thread: int,
  num_keep: int,
  seed: int,
  num_predict: int,
  top_k: int,
  top_p: num,
  min_p: num,
  typical_p: num,
  repeat_last_n: int,
  temperature: num,
  repeat_penalty: num,
  presence_penalty: num,
  frequency_penalty: num,
  penalize_newline: bool,
  tfs_z: num,
  mirostat: int,
  mirostat_tau: num,
  mirostat_eta: num,
  stop: z.array(z.string(), 'stop must be an array of strings (Ollama-native options)').nullish(),
});

/**
 * Ollama-native request bodies: the fields Ollama documents, typed as it decodes them, so a wrong
 * type is the gateway's 400 naming the field rather than the engine's 400/500. Unknown fields
 * are kept and passed on (newer Ollama versions add some).
 */
const nativeBase = {
  model: z.string().min(1, 'model is required'),
  stream: z.boolean().optional(),
  keep_alive: z.union([z.number(), z.string()]).optional(),
  options: ollamaOptionsSchema.optional(),
};
const format = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();
const think = z.union([z.boolean(), z.enum(['low', 'medium', 'high'])]).nullish();
const images = z.array(z.string()).nullish();

export const ollamaChatRequestSchema = z.looseObject({
  ...nativeBase,
  messages: z
    .array(
      z.looseObject({
        role: z.string(),
        content: z.string().nullish(),
        thinking: z.string().nullish(),
        images,
        tool_calls: z.array(z.record(z.string(), z.unknown())).nullish(),
        tool_name: z.string().nullish(),
      }),
    )
    .nullish(),
  tools: z.array(z.record(z.string(), z.unknown())).nullish(),
  format,
  think,
});

export const ollamaGenerateRequestSchema = z.looseObject({
  ...nativeBase,
  prompt: z.string().nullish(),
  suffix: z.string().nullish(),
  system: z.string().nullish(),
  template: z.string().nullish(),
  context: z.array(z.number().int()).nullish(),
  raw: bool,
  images,
  format,
  think,
});

export const ollamaEmbedRequestSchema = z.looseObject({
  ...nativeBase,
  input: z.union([z.string(), z.array(z.string()).max(MAX_EMBED_INPUTS, `at most ${MAX_EMBED_INPUTS} inputs per request`)]).optional(),
  truncate: bool,
  dimensions: z.number().int().positive().nullish(),
});

/** The older single-prompt embedding route. */
export const ollamaEmbeddingsRequestSchema = z.looseObject({
  ...nativeBase,
  prompt: z.string().nullish(),
});

/**
 * /api/show still accepts the old `name` field. The model is the one `requestedModel` names (the
 * function the allow-lists use), so what is checked is what is shown; `name` is not passed on.
 */
export const ollamaShowRequestSchema = z.looseObject({ verbose: bool }).transform((b, ctx) => {
  const named = requestedModel(b);
  if (!named.ok || named.model === null) {
    ctx.addIssue({ code: 'custom', path: [named.ok ? 'model' : named.field], message: named.ok ? 'model is required' : named.message });
    return z.NEVER;
  }
  const { name: _name, ...rest } = b as Record<string, unknown>;
  return { ...rest, model: named.model };
});
