import { describe, expect, it } from 'vitest';
import { pooledSteps, STILL_WARMING } from '../../sre/bench/lib/pooled-levels.ts';

const step = (path: string, ms: number, streams = 128) => ({ path, streams, relayCpuMsPerStream: ms, relayCpuMsPer1kChunks: ms * 250 });

describe('pooled levels (bench:relay)', () => {
  it('takes medians per path, drops the first of three or more levels, and gives ratios to the floor', () => {
    const steps = [
      ...[9, 0.3, 0.3, 0.2, 0.4].map((ms) => step('pipe', ms)),
      ...[9, 0.45, 0.45, 0.3, 0.6].map((ms) => step('lean', ms)),
      step('once', 1, 512),
    ];
    const pooled = pooledSteps(steps, 'pipe');
    expect(pooled.map((p) => p.path)).toEqual(['pipe', 'lean']);
    const lean = pooled.find((p) => p.path === 'lean')!;
    expect(lean.levels).toBe(4);
    expect(lean.msPerStream).toBeCloseTo(0.45);
    expect(lean.perStreamRatio).toBeCloseTo(1.5);
    expect(lean.per1kRatio).toBeCloseTo(1.5);
  });

  it('reads a path still warming up as a later half that costs clearly less than the earlier one', () => {
    const warming = pooledSteps([0.5, 0.44, 0.4, 0.36, 0.3, 0.27, 0.25, 0.24, 0.22].map((ms) => step('lean', ms)), 'pipe')[0]!;
    expect(warming.lateOverEarly).toBeLessThan(STILL_WARMING);
    const warm = pooledSteps([0.5, 0.3, 0.36, 0.28, 0.33, 0.31, 0.27, 0.35, 0.29].map((ms) => step('lean', ms)), 'pipe')[0]!;
    expect(warm.lateOverEarly).toBeGreaterThan(STILL_WARMING);
    expect(warm.perStreamRatio).toBeUndefined();
  });

  it('pairs each level with the floor in the same level, so the machine drifting between levels cancels', () => {
    // The machine's speed halves and recovers from level to level; lean's own level says 1.2-1.4x each time.
    const pipe = [9, 0.3, 0.6, 0.3, 0.6, 0.3];
    const lean = [9, 0.39, 0.78, 0.36, 0.84, 0.42];
    // As the bench records them: level by level, every path once per level.
    const steps = pipe.flatMap((ms, i) => [step('pipe', ms), step('lean', lean[i]!)]);
    const pooled = pooledSteps(steps, 'pipe').find((p) => p.path === 'lean')!;
    expect(pooled.pairedPerStreamRatio).toBeCloseTo(1.3);
    expect(pooled.pairedPer1kRatio).toBeCloseTo(1.3);
    // The ratio of the medians takes lean's median from a slow level and the pipe's from a fast one.
    expect(pooled.perStreamRatio).toBeCloseTo(1.4);
  });
});
