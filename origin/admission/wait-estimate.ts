/**
 * How long a queued request will wait, from what the gate measures: its place in the queue, how
 * long a slot is held on average, and how long each slot held now has been held. The slots free
 * up in the order their holders' average hold runs out (a slot held longer than the average may
 * end any moment: 0); the first `slots` waiters take those, each next `slots` waiters one mean
 * hold later. A slot the gate cannot see the start of (held through another replica) counts as
 * just taken.
 */
export function estimateWaitMs(position: number, slots: number, holdMs: number, heldForMs: readonly number[] = []): number {
  const n = Math.max(1, slots);
  const frees = heldForMs.map((e) => Math.max(0, holdMs - e)).sort((a, b) => a - b).slice(0, n);
  while (frees.length < n) frees.push(holdMs);
  const p = Math.max(1, position) - 1;
  return Math.round(frees[p % n]! + Math.floor(p / n) * holdMs);
}

/** Retry-After (whole seconds) from an estimated wait: at least 1 s, at most a minute. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.min(60, Math.max(1, Math.ceil(waitMs / 1000)));
}
