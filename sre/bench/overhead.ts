/**
 * The gateway's own cost: the same load through the path under test and straight to the engine,
 * interleaved (A B, then B A, ...) so drift on a shared machine hits both sides alike, and compared
 * as ratios of medians rather than absolute numbers.
 */
import { fmtMs, printTable } from './lib/stats.ts';
import type { StepSpec, Target } from './config.ts';
import type { PromptSource } from './prompts.ts';
import { runStep, type RunOptions, type StepRun } from './runner.ts';
import { summarize, type StepSummary } from './summary.ts';

export interface OverheadRow {
  load: number;
  mode: StepSpec['kind'];
  path: StepSummary;
  direct: StepSummary;
  ttftRatio: number;
  ttftAddedMs: number;
  itlRatio: number;
  e2eRatio: number;
  tputRatio: number;
}

function merge(runs: StepRun[]): StepRun {
  return { step: runs[0]!.step, target: runs[0]!.target, samples: runs.flatMap((r) => r.samples), wallMs: runs.reduce((a, r) => a + r.wallMs, 0) };
}

export async function runOverhead(
  path: Target,
  direct: Target,
  steps: StepSpec[],
  prompts: { path: PromptSource; direct: PromptSource },
  rounds: number,
  o: RunOptions & { onRun?(target: string, step: StepSpec, round: number): RunOptions['onSample'] },
): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  for (const step of steps) {
    const a: StepRun[] = [];
    const b: StepRun[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['path', 'direct'] as const) : (['direct', 'path'] as const);
      for (const which of order) {
        const t = which === 'path' ? path : direct;
        const onSample = o.onRun?.(t.name, step, r);
        const run = await runStep(t, step, prompts[which], { ...o, ...(onSample ? { onSample } : {}) });
        (which === 'path' ? a : b).push(run);
      }
    }
    const p = summarize(merge(a));
    const d = summarize(merge(b));
    rows.push({
      load: step.value,
      mode: step.kind,
      path: p,
      direct: d,
      ttftRatio: p.ttftMs.p50 / d.ttftMs.p50,
      ttftAddedMs: p.ttftMs.p50 - d.ttftMs.p50,
      itlRatio: p.itlMs.p50 / d.itlMs.p50,
      e2eRatio: p.e2eMs.p50 / d.e2eMs.p50,
      tputRatio: p.totalTokPerS / d.totalTokPerS,
    });
  }
  return rows;
}

const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(3)}×` : '-');

export function printOverhead(rows: OverheadRow[], names: { path: string; direct: string }): void {
  console.log(`\nGateway overhead: ${names.path} vs ${names.direct} (medians; ratio = path / direct)`);
  printTable(
    ['load', 'req p/d', 'TTFT p50 path', 'TTFT p50 direct', 'TTFT ratio', 'TTFT +ms', 'ITL p50 path', 'ITL p50 direct', 'ITL ratio', 'E2E ratio', 'tok/s path', 'tok/s direct', 'tok/s ratio', 'errors p/d'],
    rows.map((r) => [
      `${r.mode === 'rate' ? 'r' : 'c'}=${r.load}`,
      `${r.path.ok}/${r.direct.ok}`,
      fmtMs(r.path.ttftMs.p50),
      fmtMs(r.direct.ttftMs.p50),
      x(r.ttftRatio),
      fmtMs(r.ttftAddedMs),
      fmtMs(r.path.itlMs.p50),
      fmtMs(r.direct.itlMs.p50),
      x(r.itlRatio),
      x(r.e2eRatio),
      r.path.totalTokPerS.toFixed(1),
      r.direct.totalTokPerS.toFixed(1),
      x(r.tputRatio),
      `${r.path.requests - r.path.ok}/${r.direct.requests - r.direct.ok}`,
    ]),
  );
}
