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
});
