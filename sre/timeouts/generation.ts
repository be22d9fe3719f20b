/**
 * How long the slowest request of a layout can take, from the same timing model the simulator
 * uses (sim/README.md): every slot of every model busy at once slows each request by
 * max(1, Σ computeWeight / boxCapacity). Worst case, not typical: timeouts exist for the worst case.
 */
import type { Layout, ModelLoad } from './layout.ts';

export function fullLoadSlowdown(layout: Layout): number {
  const demand = layout.models.reduce((s, m) => s + m.numParallel * m.computeWeight, 0);
  return Math.max(1, demand / layout.upstream.boxCapacity);
}

export interface GenerationEstimate {
  model: string;
  queueMs: number;
  loadMs: number;
  prefillMs: number;
  decodeMs: number;
  totalMs: number;
}

/** Queue wait limit + cold load + prefill of the longest prompt + the longest answer, at full load. */
export function longestGeneration(layout: Layout, m: ModelLoad): GenerationEstimate {
  const slow = fullLoadSlowdown(layout);
  const prefillMs = (m.maxInputTokens / m.prefillTokensPerSec) * 1000 * slow;
  const decodeMs = m.decodeTokensPerSec > 0 ? (m.maxOutputTokens / m.decodeTokensPerSec) * 1000 * slow : 0;
  const queueMs = layout.origin.queueWaitMs;
  const loadMs = m.coldLoadMs;
  return { model: m.name, queueMs, loadMs, prefillMs, decodeMs, totalMs: queueMs + loadMs + prefillMs + decodeMs };
}

export function longestOverall(layout: Layout): GenerationEstimate {
  return layout.models.map((m) => longestGeneration(layout, m)).reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
}
