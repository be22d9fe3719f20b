/**
 * Session affinity on real engines: two Ollama servers (one slot each) behind one origin, two
 * Claude-Code-shaped sessions of five turns side by side (sre/bench/lib/fleet-real.ts; the table
 * is `npm run bench:fleet-real`). With affinity each session stays on one engine and the engine
 * evaluates only each turn's new tokens; without it the turns alternate engines and each is
 * prefilled whole. Conditions and clear ratios only, no timing thresholds.
 *
 * It runs in the timing lane, alone: prompt evaluation is the engine's wall-clock time, and a
 * sibling fork taking the CPU inflates the short (cached) evaluations far more than the long cold
 * ones. CI saw the affinity median go 130 -> 428 ms while the cold one went 800 -> 1052.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFleetReal, type TurnRow } from '../../sre/bench/lib/fleet-real.ts';
import { describeOllama, startOllama, tinyModels, warm, type OllamaProcess } from '../helpers/ollama.ts';

describeOllama('session affinity on two real Ollama servers', () => {
  let engines: OllamaProcess[] = [];
  let rows: TurnRow[];
  beforeAll(async () => {
    engines = await Promise.all([startOllama({ numParallel: 1 }), startOllama({ numParallel: 1 })]);
    await Promise.all(engines.map((e) => warm(e.url)));
    rows = await runFleetReal({ engines: [engines[0]!.url, engines[1]!.url], model: tinyModels.chat });
    console.table(rows.map((r) => ({ ...r, ttftMs: Math.round(r.ttftMs), promptEvalMs: Math.round(r.promptEvalMs) })));
  }, 240_000);
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop()));
  });

  const of = (mode: TurnRow['mode'], session: number) => rows.filter((r) => r.mode === mode && r.session === session);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it('keeps each session on one engine with affinity; without it the turns move between engines', () => {
    for (const s of [0, 1]) {
      expect(new Set(of('affinity', s).map((r) => r.engine)).size).toBe(1);
      // Without it, every turn after the first moved to the engine holding the other session.
      of('least-loaded', s).forEach((r, i, all) => i > 0 && expect(r.engine).not.toBe(all[i - 1]!.engine));
    }
    expect(of('affinity', 0)[0]!.engine).not.toBe(of('affinity', 1)[0]!.engine);
  });

  it('evaluates turns 2-5 far more cheaply with affinity than a cold prefill of the same prompt', () => {
    for (const s of [0, 1]) {
      const withAffinity = of('affinity', s).slice(1);
      // Turns that landed on the engine holding the other session: prefilled whole.
      const cold = of('least-loaded', s).filter((r, i, all) => i > 0 && r.engine !== all[i - 1]!.engine);
      expect(cold.length).toBeGreaterThanOrEqual(2);
      expect(median(withAffinity.map((r) => r.promptEvalMs)) * 2.5).toBeLessThan(median(cold.map((r) => r.promptEvalMs)));
      // Ollama counts the whole prompt either way: the time, not the count, shows the reuse.
      for (const r of withAffinity) expect(r.promptTokens).toBeGreaterThan(of('affinity', s)[0]!.promptTokens);
      // Each turn with affinity costs less than the first, cold turn of the same session.
      for (const r of withAffinity) expect(r.promptEvalMs).toBeLessThan(of('affinity', s)[0]!.promptEvalMs);
    }
  });

  it('judges the reuse from the engine\'s own prompt evaluation time: most of the prompt with affinity, little of it after a move', () => {
    for (const s of [0, 1]) {
      expect(median(of('affinity', s).slice(1).map((r) => r.reuse ?? 0))).toBeGreaterThan(0.5);
      const moved = of('least-loaded', s).filter((r, i, all) => i > 0 && r.engine !== all[i - 1]!.engine);
      expect(median(moved.map((r) => r.reuse ?? 0))).toBeLessThan(0.3);
    }
  });
});
