/**
 * One observed latency distribution, whether it came from the origin's Prometheus histograms
 * (bucketed: quantiles interpolated as histogram_quantile does, extremes known to a bucket) or
 * from a bench result (per-step percentiles and maxima measured by the client).
 */
import type { CumulativeHistogram } from './prometheus-text.ts';

export interface Observed {
  /** What was measured, for the evidence column. */
  what: string;
  count: number;
  /** `count` with its unit: histogram observations, or bench requests. */
  counted: string;
  /** Value in ms at quantile q (0..1). */
  quantileMs(q: number): number;
  /** The largest observation, or the bucket bound it is known to exceed / stay under. */
  worst: { ms: number; text: string };
  /** How many observations were above `ms` (a lower bound for bucketed data), and how that is known. */
  above(ms: number): { n: number; text: string };
  source: string;
}

const fmt = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`);
export { fmt as fmtMs };

export function fromHistogram(what: string, h: CumulativeHistogram, source: string): Observed | undefined {
  const total = h.counts[h.counts.length - 1] ?? 0;
  if (total === 0) return undefined;
  const finite = h.bounds.filter((b) => Number.isFinite(b));
  const lastFinite = finite[finite.length - 1] ?? 0;
  const quantileMs = (q: number): number => {
    const rank = q * total;
    for (let i = 0; i < h.bounds.length; i++) {
      if (h.counts[i]! >= rank) {
        const hi = h.bounds[i]!;
        if (!Number.isFinite(hi)) return lastFinite * 1000;
        const lo = i === 0 ? 0 : h.bounds[i - 1]!;
        const below = i === 0 ? 0 : h.counts[i - 1]!;
        const inBucket = h.counts[i]! - below;
        return (lo + (inBucket > 0 ? (hi - lo) * ((rank - below) / inBucket) : 0)) * 1000;
      }
    }
    return lastFinite * 1000;
  };
  let top = 0;
  for (let i = 0; i < h.bounds.length; i++) if (h.counts[i]! > (i === 0 ? 0 : h.counts[i - 1]!)) top = i;
  const topBound = h.bounds[top]!;
  const worst = Number.isFinite(topBound)
    ? { ms: topBound * 1000, text: `≤ ${fmt(topBound * 1000)} (highest bucket with observations)` }
    : { ms: lastFinite * 1000, text: `> ${fmt(lastFinite * 1000)} (${total - h.counts[h.bounds.indexOf(lastFinite)]!} beyond the last bucket)` };
  const above = (ms: number) => {
    const s = ms / 1000;
    const i = h.bounds.findIndex((b) => b >= s);
    const b = h.bounds[i]!;
    if (!Number.isFinite(b)) {
      const beyond = total - h.counts[h.bounds.indexOf(lastFinite)]!;
      return beyond === 0
        ? { n: 0, text: `none above ${fmt(lastFinite * 1000)} (the last bucket), so none above ${fmt(ms)}` }
        : { n: 0, text: `unknown: ${beyond} above the last bucket (${fmt(lastFinite * 1000)}), ${fmt(ms)} is past it` };
    }
    const n = total - h.counts[i]!;
    return { n, text: `${n} of ${total} above ${fmt(b * 1000)}` };
  };
  return { what, count: total, counted: `${total} observed`, quantileMs, worst, above, source };
}

/** A bench step's distribution as the bench JSON keeps it (ms). */
export interface StepDist {
  p50: number;
  p95: number;
  p99: number;
  p999?: number | null;
  max?: number | null;
}

export function fromBenchSteps(what: string, steps: ReadonlyArray<{ load: number; ok: number; dist: StepDist }>, source: string): Observed | undefined {
  const usable = steps.filter((s) => s.ok > 0 && Number.isFinite(s.dist.p50));
  if (usable.length === 0) return undefined;
  const hasMax = usable.every((s) => typeof s.dist.max === 'number');
  const at = (s: StepDist, q: number): number => (q <= 0.5 ? s.p50 : q <= 0.95 ? s.p95 : q <= 0.99 ? s.p99 : q <= 0.999 ? (s.p999 ?? s.p99) : (s.max ?? s.p999 ?? s.p99));
  const worstOf = (s: StepDist) => s.max ?? s.p999 ?? s.p99;
  const worstStep = usable.reduce((a, b) => (worstOf(b.dist) > worstOf(a.dist) ? b : a));
  return {
    what,
    count: usable.reduce((a, s) => a + s.ok, 0),
    counted: `${usable.reduce((a, s) => a + s.ok, 0)} requests in ${usable.length} steps`,
    // The worst step decides: a timeout must hold at the load that stressed it most.
    quantileMs: (q) => Math.max(...usable.map((s) => at(s.dist, q))),
    worst: { ms: worstOf(worstStep.dist), text: `${fmt(worstOf(worstStep.dist))} ${hasMax ? 'max' : 'p99 (this bench result has no max)'} at load ${worstStep.load}` },
    above: (ms) => {
      const over = usable.filter((s) => worstOf(s.dist) > ms);
      return { n: over.length, text: over.length === 0 ? `no step above ${fmt(ms)}` : `${over.length} of ${usable.length} steps had requests above ${fmt(ms)} (loads ${over.map((s) => s.load).join(', ')})` };
    },
    source,
  };
}
