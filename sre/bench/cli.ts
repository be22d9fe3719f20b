/**
 * `npm run bench -- [flags]`: load against any OpenAI-compatible or Ollama endpoint (the edge, the
 * origin, an engine, the simulator), a concurrency sweep or request rates, bounded in time and
 * count per step; writes results.csv, results.json and PNG plots to a run directory.
 *
 *   npm run bench -- --url http://127.0.0.1:8080 --model gpt-oss:20b --concurrency 1,2,4,8 --duration 20s --sim
 *   npm run bench -- --url http://127.0.0.1:8080 --direct http://127.0.0.1:11435 --direct-api ollama ...   (overhead)
 *   npm run bench -- --compare bench-results/20b-… --compare bench-results/120b-…                         (overlay)
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badUsageLine, readCli } from '../../shared/cli.ts';
import { fmtMs, printTable } from './lib/stats.ts';
import { benchFlagsSchema, stepsOf, type BenchConfig, type StepSpec, type Target } from './config.ts';
import { describeTarget, machineFacts } from './machine.ts';
import { runDirName, writeRunFiles } from './output.ts';
import { printOverhead, runOverhead, type OverheadRow } from './overhead.ts';
import { writeCharts, type PlotRun } from './plot/charts.ts';
import { progressBar } from './progress.ts';
import { datasetPrompts, syntheticPrompts, type PromptSource } from './prompts.ts';
import { runStep } from './runner.ts';
import { errorsText, summarize, type StepSummary } from './summary.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const help = `Puerta benchmark harness

Usage: npm run bench -- --url URL --model NAME [flags]

  --url URL              endpoint under test (edge, origin, engine, simulator)
  --api openai|ollama    openai: POST /v1/chat/completions (SSE); ollama: POST /api/chat (NDJSON). Default openai
  --model NAME           model to ask for
  --api-key KEY          Authorization: Bearer KEY
  --concurrency LIST     closed-loop sweep, e.g. 1,2,4,8,16,32,64,128 (default 1,2,4,8)
  --rate LIST            open-loop Poisson arrivals, requests/s per step, e.g. 0.5,1,2 (instead of --concurrency)
  --duration DUR         per step: 30s, 2m … (default 30s)
  --requests N           per step at most N requests (default: no cap besides --duration)
  --input-tokens N       synthetic prompt length mean (default 256); --input-spread F (±fraction, default 0.1)
  --output-tokens N      answer length mean, sent as max_tokens/num_predict (default 128); --output-spread F
  --dataset FILE         JSONL prompts ({"prompt"} | {"messages"} | ShareGPT {"conversations"}) instead of synthetic
  --sim                  add [[sim:tokens=N]] so the Ollama simulator answers exactly N tokens
  --request-timeout DUR  per request (default 10m)
  --out DIR              results directory (default bench-results/)
  --label NAME           run name (directory and plot legends)
  --seed N               prompt and arrival seed (default 1)
  --direct URL           overhead mode: the same load straight to this URL too, interleaved; prints the ratio
  --direct-api, --direct-api-key   API and key of the direct URL (default: same as --api / none)
  --rounds N             overhead mode: interleaved rounds per step (default 2)
  --no-plots             skip the PNG plots
  --progress / --no-progress   progress bar (default: when stderr is a terminal)
  --compare DIR          overlay finished runs (repeatable); writes plots only
  --help                 this text
`;

const OPTIONS = {
  url: { type: 'string' },
  api: { type: 'string' },
  model: { type: 'string' },
  'api-key': { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  requests: { type: 'string' },
  'input-tokens': { type: 'string' },
  'input-spread': { type: 'string' },
  'output-tokens': { type: 'string' },
  'output-spread': { type: 'string' },
  dataset: { type: 'string' },
  sim: { type: 'boolean' },
  'request-timeout': { type: 'string' },
  out: { type: 'string' },
  label: { type: 'string' },
  seed: { type: 'string' },
  direct: { type: 'string' },
  'direct-api': { type: 'string' },
  'direct-api-key': { type: 'string' },
  rounds: { type: 'string' },
  plots: { type: 'boolean' },
  'no-plots': { type: 'boolean' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  compare: { type: 'string', multiple: true },
} as const;

export interface BenchOutcome {
  dir: string;
  files: string[];
  steps: StepSummary[];
  overhead?: OverheadRow[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

function prompts(cfg: BenchConfig, seed: number): PromptSource {
  const common = { outputTokens: cfg['output-tokens'], outputSpread: cfg['output-spread'], seed, sim: cfg.sim };
  return cfg.dataset
    ? datasetPrompts(cfg.dataset, common)
    : syntheticPrompts({ ...common, inputTokens: cfg['input-tokens'], inputSpread: cfg['input-spread'] });
}

function printSteps(steps: StepSummary[]): void {
  printTable(
    ['target', 'load', 'ok/req', 'TTFT avg', 'p50', 'p95', 'p99', 'ITL p50', 'p95', 'p99', 'E2E avg', 'p50', 'p95', 'p99', 'tok/s/req p50', 'tok/s total', 'req/s', 'errors'],
    steps.map((s) => [
      s.target,
      `${s.mode === 'rate' ? 'r' : 'c'}=${s.load}`,
      `${s.ok}/${s.requests}`,
      fmtMs(s.ttftMs.avg), fmtMs(s.ttftMs.p50), fmtMs(s.ttftMs.p95), fmtMs(s.ttftMs.p99),
      fmtMs(s.itlMs.p50), fmtMs(s.itlMs.p95), fmtMs(s.itlMs.p99),
      fmtMs(s.e2eMs.avg), fmtMs(s.e2eMs.p50), fmtMs(s.e2eMs.p95), fmtMs(s.e2eMs.p99),
      Number.isFinite(s.reqTokPerS.p50) ? s.reqTokPerS.p50.toFixed(1) : '-',
      s.totalTokPerS.toFixed(1),
      s.reqPerS.toFixed(2),
      errorsText(s.errors),
    ]),
  );
}

/** Overlays finished runs: reads each DIR/results.json, writes the plots to a new compare directory. */
export function compareRuns(dirs: string[], out: string): BenchOutcome {
  const runs: PlotRun[] = dirs.map((d) => {
    const f = join(d, 'results.json');
    if (!existsSync(f)) throw new UsageError(`--compare ${d}: no results.json there (give a run directory written by npm run bench)`);
    const j = JSON.parse(readFileSync(f, 'utf8')) as { label?: string; config?: { model?: string }; steps?: StepSummary[] };
    if (!Array.isArray(j.steps)) throw new UsageError(`--compare ${d}: results.json has no steps`);
    const revive = (s: StepSummary): StepSummary => JSON.parse(JSON.stringify(s), (_k, v: unknown) => (v === null ? NaN : v)) as StepSummary;
    // An overhead run holds two targets; each becomes its own series.
    const targets = [...new Set(j.steps.map((s) => s.target))];
    return targets.map((t) => ({ label: `${j.label ?? d}${targets.length > 1 ? ` ${t}` : ''}`, steps: j.steps!.filter((s) => s.target === t).map(revive) }));
  }).flat();
  const dir = join(out, runDirName('compare', 'compare'));
  mkdirSync(dir, { recursive: true });
  const files = writeCharts(runs, dir, `compare: ${runs.map((r) => r.label).join(' vs ')}`);
  return { dir, files, steps: runs.flatMap((r) => r.steps) };
}

export async function runBench(argv: string[]): Promise<BenchOutcome | undefined> {
  const asked = readCli({ name: 'bench', usage: help, options: OPTIONS }, argv);
  if (asked.kind === 'help') {
    console.log(help);
    return undefined;
  }
  if (asked.kind === 'bad-usage') throw new UsageError(asked.problem);
  const raw = asked.values;
  if (raw.compare) {
    const c = compareRuns(raw.compare, raw.out ?? 'bench-results');
    console.log(`wrote ${c.files.join('\n      ')}`);
    return c;
  }
  const parsed = benchFlagsSchema.safeParse({
    ...raw,
    plots: raw['no-plots'] ? false : (raw.plots ?? true),
    progress: raw['no-progress'] ? false : raw.progress,
    'no-plots': undefined,
    'no-progress': undefined,
    compare: undefined,
  });
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((i) => `--${String(i.path[0] ?? '?')} ${JSON.stringify((raw as Record<string, unknown>)[String(i.path[0])] ?? null)}: ${i.message}`).join('\n'),
    );
  }
  const cfg = parsed.data;
  const steps = stepsOf(cfg);
  const path: Target = { name: cfg.direct ? 'path' : 'target', url: cfg.url, api: cfg.api, ...(cfg['api-key'] ? { apiKey: cfg['api-key'] } : {}) };
  const direct: Target | undefined = cfg.direct
    ? { name: 'direct', url: cfg.direct, api: cfg['direct-api'] ?? cfg.api, ...(cfg['direct-api-key'] ? { apiKey: cfg['direct-api-key'] } : {}) }
    : undefined;
  const showBar = cfg.progress ?? Boolean(process.stderr.isTTY);
  const startedAt = new Date();
  const dir = resolve(cfg.out, runDirName(cfg.label, cfg.model, startedAt));
  const targetsInfo = [await describeTarget(path), ...(direct ? [await describeTarget(direct)] : [])];
  const stepLabel = (name: string, s: StepSpec) => `${name} ${s.kind === 'rate' ? 'r' : 'c'}=${s.value}`;
  const runOpts = { model: cfg.model, durationMs: cfg.duration, timeoutMs: cfg['request-timeout'], seed: cfg.seed, ...(cfg.requests ? { maxRequests: cfg.requests } : {}) };

  let summaries: StepSummary[] = [];
  let overhead: OverheadRow[] | undefined;
  let bar: ReturnType<typeof progressBar> | undefined;
  const finishBar = () => {
    bar?.done();
    bar = undefined;
  };
  if (!direct) {
    const src = prompts(cfg, cfg.seed);
    for (const step of steps) {
      bar = progressBar({ enabled: showBar, label: stepLabel(path.name, step), durationMs: cfg.duration, ...(cfg.requests ? { maxRequests: cfg.requests } : {}) });
      const b = bar;
      const run = await runStep(path, step, src, { ...runOpts, onSample: (s) => b.sample(s.ok) });
      const sum = summarize(run);
      summaries.push(sum);
      b.done(`${stepLabel(path.name, step)}: ${sum.ok}/${sum.requests} ok, TTFT p50 ${fmtMs(sum.ttftMs.p50)} ms, ${sum.totalTokPerS.toFixed(1)} tok/s, errors ${errorsText(sum.errors)}`);
      bar = undefined;
    }
  } else {
    // The same prompt sequence on both sides: any difference is the path, not the prompts.
    overhead = await runOverhead(path, direct, steps, { path: prompts(cfg, cfg.seed), direct: prompts(cfg, cfg.seed) }, cfg.rounds, {
      ...runOpts,
      onRun(target, step, round) {
        finishBar();
        bar = progressBar({ enabled: showBar, label: `${stepLabel(target, step)} #${round + 1}`, durationMs: cfg.duration, ...(cfg.requests ? { maxRequests: cfg.requests } : {}) });
        const b = bar;
        return (s) => b.sample(s.ok);
      },
    });
    finishBar();
    summaries = overhead.flatMap((r) => [r.path, r.direct]);
  }
  console.log('');
  printSteps(summaries);
  if (overhead) printOverhead(overhead, { path: cfg.url, direct: cfg.direct! });

  const { 'api-key': _k, 'direct-api-key': _dk, ...safeConfig } = cfg;
  const json = {
    tool: 'puerta bench',
    label: cfg.label ?? cfg.model,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: { ...safeConfig, apiKey: cfg['api-key'] ? '(set)' : undefined, steps },
    machine: machineFacts(repoRoot),
    targets: targetsInfo,
    steps: summaries,
    ...(overhead ? { overhead: overhead.map(({ path: _p, direct: _d, ...r }) => r) } : {}),
  };
  const written = writeRunFiles(dir, summaries, json);
  const files = [written.csv, written.json];
  if (cfg.plots) {
    const runs: PlotRun[] = direct
      ? [
          { label: 'path', steps: summaries.filter((s) => s.target === 'path') },
          { label: 'direct', steps: summaries.filter((s) => s.target === 'direct') },
        ]
      : [{ label: json.label, steps: summaries }];
    files.push(...writeCharts(runs, dir, `${cfg.model} · ${cfg.url}${direct ? ` vs ${cfg.direct}` : ''} · ${cfg['input-tokens']}→${cfg['output-tokens']} tok · ${startedAt.toISOString().slice(0, 16)}Z`));
  }
  console.log(`\nwrote ${files.join('\n      ')}`);
  return { dir, files, steps: summaries, ...(overhead ? { overhead } : {}) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await runBench(process.argv.slice(2));
    // Keep-alive sockets in the agent would hold the process open.
    process.exit(0);
  } catch (e) {
    console.error(e instanceof UsageError ? badUsageLine('bench', (e as Error).message) : `bench: ${(e as Error).message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  }
}
