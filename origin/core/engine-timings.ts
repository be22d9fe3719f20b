/** What an engine says of its own work on one request (origin/upstream/engine-timings.ts reads it from its final frame): counts and durations only. */
export interface EngineTimings {
  promptTokens?: number | undefined;
  /** Prompt evaluation (prefill) time, ms. Ollama reports the whole prompt as evaluated on a cache hit, so this, not the count, shows reuse. */
  promptEvalMs?: number | undefined;
  completionTokens?: number | undefined;
  /** Decode time, ms. */
  evalMs?: number | undefined;
  /** Model load time, ms (Ollama's load_duration). */
  loadMs?: number | undefined;
  /** Prompt tokens the engine says it found in its cache (vLLM, llama.cpp). */
  cachedTokens?: number | undefined;
}
