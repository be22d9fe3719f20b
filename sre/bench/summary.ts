/** Per-step figures from raw samples: the numbers that go into the table, the CSV and the plots. */
import { mean } from 'simple-statistics';
import { percentile, sortedCopy } from './lib/stats.ts';
import type { StepRun } from './runner.ts';

export interface Dist {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  /** The worst request: what a timeout has to outlast (check:timeouts --from-metrics reads it). */
  max: number;
}

export interface StepSummary {
  target: string;
  mode: 'concurrency' | 'rate';
  /** Clients (concurrency) or offered requests/s (rate). */
  load: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  wallS: number;
  ttftMs: Dist;
  itlMs: Dist;
  e2eMs: Dist;
  /** From the origin's Server-Timing (`queue`, `upstream`), when the target sends it. */
  queueMs?: Dist;
  upstreamFirstByteMs?: Dist;
  /** Output tokens/s of one request: tokens after the first / time after the first token. */
  reqTokPerS: Dist;
  totalTokPerS: number;
  reqPerS: number;
  inputTokensAvg: number;
  outputTokensAvg: number;
}

export function dist(values: number[]): Dist {
  if (values.length === 0) return { avg: NaN, p50: NaN, p95: NaN, p99: NaN, p999: NaN, max: NaN };
  const s = sortedCopy(values);
  return { avg: mean(values), p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1]! };
}

function optionalDist<K extends string>(key: K, values: number[]): Partial<Record<K, Dist>> {
  return values.length > 0 ? ({ [key]: dist(values) } as Record<K, Dist>) : {};
}

export function summarize(run: StepRun): StepSummary {
  const ok = run.samples.filter((s) => s.ok);
  const errors: Record<string, number> = {};
  for (const s of run.samples) if (!s.ok) errors[s.error ?? 'other'] = (errors[s.error ?? 'other'] ?? 0) + 1;
  const decodeRates = ok
    .filter((s) => s.outputTokens > 1 && s.ttftMs !== undefined && s.e2eMs > s.ttftMs)
    .map((s) => (s.outputTokens - 1) / ((s.e2eMs - s.ttftMs!) / 1000));
  const outTokens = ok.reduce((a, s) => a + s.outputTokens, 0);
  const wallS = run.wallMs / 1000;
  return {
    target: run.target,
    mode: run.step.kind,
    load: run.step.value,
    requests: run.samples.length,
    ok: ok.length,
    errors,
    wallS,
    ttftMs: dist(ok.flatMap((s) => (s.ttftMs === undefined ? [] : [s.ttftMs]))),
    itlMs: dist(ok.flatMap((s) => s.itlMs)),
    e2eMs: dist(ok.map((s) => s.e2eMs)),
    ...optionalDist('queueMs', ok.flatMap((s) => (s.queueMs === undefined ? [] : [s.queueMs]))),
    ...optionalDist('upstreamFirstByteMs', ok.flatMap((s) => (s.upstreamMs === undefined ? [] : [s.upstreamMs]))),
    reqTokPerS: dist(decodeRates),
    totalTokPerS: wallS > 0 ? outTokens / wallS : 0,
    reqPerS: wallS > 0 ? ok.length / wallS : 0,
    inputTokensAvg: ok.length ? ok.reduce((a, s) => a + s.inputTokens, 0) / ok.length : NaN,
    outputTokensAvg: ok.length ? outTokens / ok.length : NaN,
  };
}

export function errorsText(e: Record<string, number>): string {
  const parts = Object.entries(e).map(([k, v]) => `${k}:${v}`);
  return parts.length ? parts.join(' ') : '-';
}
