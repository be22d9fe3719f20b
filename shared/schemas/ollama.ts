import { z } from 'zod';
import { requestedModel } from '../model-allow-list.ts';

/**
 * Ollama-native request bodies. Only what the gateway routes on is checked; everything else is
 * Ollama's to judge (it answers 400/500 itself), so the official clients see Ollama's own errors.
 */
export const ollamaModelRequestSchema = z.looseObject({
  model: z.string().min(1, 'model is required'),
  stream: z.boolean().optional(),
  keep_alive: z.union([z.number(), z.string()]).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

/**
 * /api/show still accepts the old `name` field. The model is the one `requestedModel` names (the
 * function the allow-lists use), so what is checked is what is shown; `name` is not passed on.
 */
export const ollamaShowRequestSchema = z.looseObject({}).transform((b, ctx) => {
  const named = requestedModel(b);
  if (!named.ok || named.model === null) {
    ctx.addIssue({ code: 'custom', path: [named.ok ? 'model' : named.field], message: named.ok ? 'model is required' : named.message });
    return z.NEVER;
  }
  const { name: _name, ...rest } = b as Record<string, unknown>;
  return { ...rest, model: named.model };
});
