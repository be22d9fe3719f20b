/**
 * What an engine's own Prometheus /metrics says about its load, in vLLM's documented names
 * (vllm/v1/metrics/loggers.py; the v0 engine's KV-cache gauge name is read too). Several
 * `model_name`/`engine` label sets (one per served model or engine core) are summed; KV-cache
 * use is the fullest one's.
 */
import { readPrometheusText, type Sample } from './prometheus-text.ts';

export interface EngineLoad {
  /** Requests the engine is generating for now (vllm:num_requests_running). */
  running: number;
  /** Requests queued inside the engine, not yet scheduled (vllm:num_requests_waiting). */
  waiting: number;
  /** Share of KV-cache blocks in use, 0..1 (vllm:kv_cache_usage_perc); undefined when not reported. */
  kvCacheUsage: number | undefined;
  /** Prefix cache, in prompt tokens looked up and found (counters since the engine started). */
  prefixCacheQueries: number | undefined;
  prefixCacheHits: number | undefined;
  /** Histogram sums and counts since the engine started (seconds). */
  ttft: { sum: number; count: number } | undefined;
  interToken: { sum: number; count: number } | undefined;
}

const V = 'vllm:';
const names = {
  running: `${V}num_requests_running`,
  waiting: `${V}num_requests_waiting`,
  kv: `${V}kv_cache_usage_perc`,
  kvV0: `${V}gpu_cache_usage_perc`,
  prefixQueries: `${V}prefix_cache_queries_total`,
  prefixHits: `${V}prefix_cache_hits_total`,
  ttftSum: `${V}time_to_first_token_seconds_sum`,
  ttftCount: `${V}time_to_first_token_seconds_count`,
  itlSum: `${V}inter_token_latency_seconds_sum`,
  itlCount: `${V}inter_token_latency_seconds_count`,
  tpotSum: `${V}time_per_output_token_seconds_sum`,
  tpotCount: `${V}time_per_output_token_seconds_count`,
} as const;
const wanted = new Set<string>(Object.values(names));

function sum(samples: Sample[] | undefined): number | undefined {
  if (!samples?.length) return undefined;
  let total = 0;
  for (const s of samples) if (Number.isFinite(s.value)) total += s.value;
  return total;
}

function max(samples: Sample[] | undefined): number | undefined {
  if (!samples?.length) return undefined;
  return Math.max(...samples.map((s) => (Number.isFinite(s.value) ? s.value : 0)));
}

function histogram(s: number | undefined, c: number | undefined): { sum: number; count: number } | undefined {
  return s === undefined || c === undefined ? undefined : { sum: s, count: c };
}

/** The engine's load from its /metrics text; undefined when it reports neither running nor waiting. */
export function readEngineLoad(text: string): EngineLoad | undefined {
  const m = readPrometheusText(text, wanted);
  const running = sum(m.get(names.running));
  const waiting = sum(m.get(names.waiting));
  if (running === undefined && waiting === undefined) return undefined;
  const kv = max(m.get(names.kv)) ?? max(m.get(names.kvV0));
  return {
    running: running ?? 0,
    waiting: waiting ?? 0,
    kvCacheUsage: kv === undefined ? undefined : Math.min(1, Math.max(0, kv)),
    prefixCacheQueries: sum(m.get(names.prefixQueries)),
    prefixCacheHits: sum(m.get(names.prefixHits)),
    ttft: histogram(sum(m.get(names.ttftSum)), sum(m.get(names.ttftCount))),
    interToken: histogram(sum(m.get(names.itlSum)), sum(m.get(names.itlCount))) ?? histogram(sum(m.get(names.tpotSum)), sum(m.get(names.tpotCount))),
  };
}
