/** Result files of a run: CSV (one row per step and target), JSON (config, machine, steps), PNG plots. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { StepSummary } from './summary.ts';
import { errorsText } from './summary.ts';

const DIST_FIELDS = ['avg', 'p50', 'p95', 'p99'] as const;
const r2 = (v: number) => (Number.isFinite(v) ? +v.toFixed(2) : '');

export function csvOf(steps: StepSummary[]): string {
  const columns = [
    'target', 'mode', 'load', 'requests', 'ok', 'errors', 'wall_s',
    ...(['ttft_ms', 'itl_ms', 'e2e_ms', 'req_output_tok_s'] as const).flatMap((m) => DIST_FIELDS.map((f) => `${m}_${f}`)),
    'total_output_tok_s', 'req_s', 'input_tokens_avg', 'output_tokens_avg',
  ];
  const rows = steps.map((s) => [
    s.target, s.mode, s.load, s.requests, s.ok, errorsText(s.errors), r2(s.wallS),
    ...[s.ttftMs, s.itlMs, s.e2eMs, s.reqTokPerS].flatMap((d) => DIST_FIELDS.map((f) => r2(d[f]))),
    r2(s.totalTokPerS), r2(s.reqPerS), r2(s.inputTokensAvg), r2(s.outputTokensAvg),
  ]);
  // csv-stringify quotes what needs quoting (labels and error kinds may hold commas or quotes).
  return stringify(rows, { header: true, columns });
}

export function runDirName(label: string | undefined, model: string, now = new Date()): string {
  const ts = now.toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  const m = model.replace(/[^A-Za-z0-9._-]+/g, '_');
  return label ? `${label}-${ts}` : `${m}-${ts}`;
}

export function writeRunFiles(dir: string, steps: StepSummary[], json: Record<string, unknown>): { csv: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'results.csv');
  const js = join(dir, 'results.json');
  writeFileSync(csv, csvOf(steps));
  writeFileSync(js, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return { csv, json: js };
}
