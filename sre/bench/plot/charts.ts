/** The harness's standard plots from step summaries: one or several runs overlaid. */
import { join } from 'node:path';
import type { StepSummary } from '../summary.ts';
import { writePng } from './png.ts';
import { lineChart, type Series } from './svg.ts';

export interface PlotRun {
  label: string;
  steps: StepSummary[];
}

function xLabel(runs: PlotRun[]): string {
  return runs.every((r) => r.steps.every((s) => s.mode === 'rate')) ? 'offered load (requests/s)' : 'concurrent requests';
}

/** Writes throughput.png, ttft.png and itl.png; returns their paths. */
export function writeCharts(runs: PlotRun[], dir: string, subtitle: string): string[] {
  const many = runs.length > 1;
  const tput: Series[] = [];
  const ttft: Series[] = [];
  const itl: Series[] = [];
  runs.forEach((r, i) => {
    const pre = many ? `${r.label}: ` : '';
    const pts = (f: (s: StepSummary) => number) => r.steps.map((s) => [s.load, f(s)] as [number, number]);
    tput.push({ name: `${pre}output tok/s (total)`, points: pts((s) => s.totalTokPerS), color: i });
    ttft.push({ name: `${pre}TTFT p50`, points: pts((s) => s.ttftMs.p50), color: i });
    ttft.push({ name: `${pre}TTFT p95`, points: pts((s) => s.ttftMs.p95), color: i, dashed: true });
    itl.push({ name: `${pre}ITL p50`, points: pts((s) => s.itlMs.p50), color: i });
    itl.push({ name: `${pre}ITL p95`, points: pts((s) => s.itlMs.p95), color: i, dashed: true });
  });
  const x = xLabel(runs);
  const files = [
    ['throughput.png', lineChart({ title: 'Output throughput vs load', subtitle, xLabel: x, yLabel: 'output tokens/s (all requests)', series: tput })],
    ['ttft.png', lineChart({ title: 'Time to first token vs load', subtitle, xLabel: x, yLabel: 'TTFT (ms)', series: ttft })],
    ['itl.png', lineChart({ title: 'Inter-token latency vs load', subtitle, xLabel: x, yLabel: 'ITL (ms)', series: itl })],
  ] as const;
  return files.map(([name, svg]) => {
    const file = join(dir, name);
    writePng(svg, file);
    return file;
  });
}
