/**
 * What an engine says of its own work on one request, from its final frame: Ollama's native
 * durations (nanoseconds), an OpenAI-compatible engine's usage (vLLM's and OpenAI's
 * `prompt_tokens_details.cached_tokens`) and llama.cpp's `timings`. Counts and durations only.
 */
import type { EngineTimings } from '../core/engine-timings.ts';

export type { EngineTimings };

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const ms = (ns: unknown): number | undefined => {
  const n = num(ns);
  return n === undefined ? undefined : n / 1e6;
};

/** Ollama's final object (`done: true`). */
export function ollamaTimings(final: { prompt_eval_count?: unknown; prompt_eval_duration?: unknown; eval_count?: unknown; eval_duration?: unknown; load_duration?: unknown }): EngineTimings | undefined {
  const t: EngineTimings = {
    promptTokens: num(final.prompt_eval_count),
    promptEvalMs: ms(final.prompt_eval_duration),
    completionTokens: num(final.eval_count),
    evalMs: ms(final.eval_duration),
    loadMs: ms(final.load_duration),
  };
  return t.promptEvalMs === undefined && t.evalMs === undefined ? undefined : t;
}

interface OpenAiUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
}
interface LlamaCppTimings {
  prompt_n?: unknown;
  prompt_ms?: unknown;
  predicted_n?: unknown;
  predicted_ms?: unknown;
  cache_n?: unknown;
}

/** An OpenAI-compatible engine's final chunk or whole answer: its usage, and llama.cpp's timings when present. */
export function openAiTimings(chunk: { usage?: OpenAiUsage | null; timings?: LlamaCppTimings | null }): EngineTimings | undefined {
  const u = chunk.usage ?? undefined;
  const lt = chunk.timings ?? undefined;
  if (!u && !lt) return undefined;
  const promptN = num(lt?.prompt_n);
  const cacheN = num(lt?.cache_n);
  // Counts alone are the usage the record already has: only durations or a cache count say more.
  if (!lt && num(u?.prompt_tokens_details?.cached_tokens) === undefined) return undefined;
  return {
    // llama.cpp's prompt_n counts only what it evaluated; with cache_n it is the whole prompt.
    promptTokens: num(u?.prompt_tokens) ?? (promptN !== undefined ? promptN + (cacheN ?? 0) : undefined),
    promptEvalMs: num(lt?.prompt_ms),
    completionTokens: num(u?.completion_tokens) ?? num(lt?.predicted_n),
    evalMs: num(lt?.predicted_ms),
    cachedTokens: num(u?.prompt_tokens_details?.cached_tokens) ?? cacheN,
  };
}
