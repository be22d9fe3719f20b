import { completionRequestSchema } from '../../shared/schemas/openai.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { finishReason, newId } from './chunks.ts';
import { generationRoute } from './generation-route.ts';
import { completionToOllama } from './to-ollama.ts';

/** Legacy text completions (`POST /v1/completions`) over Ollama's /api/generate. */
export function completions(deps: OriginDeps) {
  return generationRoute(deps, {
    schema: completionRequestSchema,
    mode: 'completion',
    // Completions are mostly batch work (summaries, tagging); chat stays ahead of them.
    priority: 'batch',
    ollama: { path: '/api/generate', body: completionToOllama },
    openaiPath: '/v1/completions',
    fromOllama: (r, req) => ({
      id: newId('cmpl'),
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: req.model,
      system_fingerprint: 'fp_puerta',
      choices: [{ index: 0, text: r.response ?? '', logprobs: null, finish_reason: finishReason(r.done_reason, false) }],
    }),
  });
}
