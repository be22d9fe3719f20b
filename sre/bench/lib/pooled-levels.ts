/**
 * A run's repeated levels (`--streams 128,128,…`) pooled per path: single steps of short requests
 * move by a fifth between repeats (a collection landing in one), so per-request figures are read
 * from medians, with a check that the path was warm for all of them.
 */
import { percentile, sortedCopy } from './stats.ts';

/** What pooling reads of one measured step. */
export interface LevelFigures {
  path: string;
  streams: number;
  relayCpuMsPerStream: number;
  relayCpuMsPer1kChunks: number;
}

export interface Pooled {
  path: string;
  streams: number;
  /** Levels pooled: the first of each count is dropped as warm-up when the count repeats 3 times or more. */
  levels: number;
  msPerStream: number;
  msPer1k: number;
  /**
   * The later half's median CPU per stream over the earlier half's: about 1 once the path is warm;
   * well under 1, its code was still being compiled (or its heap still sized) while it was measured.
   */
  lateOverEarly: number;
  /** Over the floor path's figure at the same count, where the floor ran: ratios of the medians. */
  perStreamRatio?: number;
  per1kRatio?: number;
  /**
   * The median of the level-by-level ratios to the floor (each level's step over the floor's step
   * in that level, measured back to back): the machine's speed drifts by a third between levels
   * of one run, and a ratio within a level cancels that drift where a ratio of medians keeps it.
   */
  pairedPerStreamRatio?: number;
  pairedPer1kRatio?: number;
}

/** Below this, a path's later levels cost clearly less than its earlier ones: it was still warming up. */
export const STILL_WARMING = 0.85;

const median = (v: number[]): number => percentile(sortedCopy(v), 50);

/** Medians per path and stream count, where a count repeats, and their ratios to `floorPath`'s. */
export function pooledSteps(steps: readonly LevelFigures[], floorPath: string): Pooled[] {
  const groups = new Map<string, LevelFigures[]>();
  for (const s of steps) {
    const k = `${s.streams}\0${s.path}`;
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  const out: Pooled[] = [];
  const usedOf = new Map<Pooled, LevelFigures[]>();
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const used = g.length >= 3 ? g.slice(1) : g;
    const perStream = used.map((s) => s.relayCpuMsPerStream);
    const half = perStream.length >> 1;
    const early = median(perStream.slice(0, Math.max(1, half)));
    const pooled: Pooled = {
      path: g[0]!.path,
      streams: g[0]!.streams,
      levels: used.length,
      msPerStream: median(perStream),
      msPer1k: median(used.map((s) => s.relayCpuMsPer1kChunks)),
      lateOverEarly: early > 0 ? median(perStream.slice(half)) / early : NaN,
    };
    out.push(pooled);
    usedOf.set(pooled, used);
  }
  for (const p of out) {
    const floor = out.find((f) => f.path === floorPath && f.streams === p.streams);
    if (!floor) continue;
    if (floor.msPerStream > 0) p.perStreamRatio = p.msPerStream / floor.msPerStream;
    if (floor.msPer1k > 0) p.per1kRatio = p.msPer1k / floor.msPer1k;
    // Every path runs once in every level, so the i-th step of each is from the same level.
    const mine = usedOf.get(p)!;
    const theirs = usedOf.get(floor)!;
    if (mine.length !== theirs.length) continue;
    p.pairedPerStreamRatio = median(mine.map((s, i) => s.relayCpuMsPerStream / theirs[i]!.relayCpuMsPerStream));
    p.pairedPer1kRatio = median(mine.map((s, i) => s.relayCpuMsPer1kChunks / theirs[i]!.relayCpuMsPer1kChunks));
  }
  return out;
}
