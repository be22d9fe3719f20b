import { z } from 'zod';

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

/** /api/show still accepts the old `name` field. */
export const ollamaShowRequestSchema = z.union([
  z.looseObject({ model: z.string().min(1) }),
  z.looseObject({ name: z.string().min(1, 'model is required') }).transform((b) => ({ ...b, model: b.name })),
]);
