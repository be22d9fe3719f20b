/** An engine as the affinity decision sees it. */
export interface EngineStanding {
  /** Requests in flight or queued for it (the router's load). */
  load: number;
  /** Share of its KV cache in use, 0..1 (0 where not reported). */
  kv: number;
  /** Measured mean time a request of this model holds a slot there, ms. */
  serviceMs: number | undefined;
  /** Measured cold prefill rate of this model there, tokens/s. */
  prefillTokensPerSecond: number | undefined;
}

/** An engine reporting its KV cache this full has evicted (or will evict) the conversation's prefix. */
export const KV_CACHE_FULL = 0.95;

/**
 * Whether a conversation's turn stays on `home`, the engine holding its prefix, rather than going
 * to `best`, the least loaded. It stays while home's KV cache is not full and home has at most
 * `slack` more requests; beyond that, while the extra requests ahead of it (each at home's
 * measured service time, an upper bound since they share the engine's slots) take less than
 * prefilling the whole prompt again at best's measured cold rate. Without measurements, slack alone.
 */
export function staysHome(home: EngineStanding, best: EngineStanding, slack: number, promptTokens: number | undefined): boolean {
  if (home.kv >= KV_CACHE_FULL) return false;
  const extra = home.load - best.load;
  if (extra <= slack) return true;
  if (home.serviceMs === undefined || best.prefillTokensPerSecond === undefined || promptTokens === undefined) return false;
  return extra * home.serviceMs < (promptTokens / best.prefillTokensPerSecond) * 1000;
}
