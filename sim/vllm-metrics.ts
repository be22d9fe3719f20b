/**
 * The simulator's vLLM persona: `GET /metrics` in vLLM's names and types (vllm/v1/metrics/
 * loggers.py: scheduler gauges, KV-cache use, prefix-cache counters in tokens, TTFT and
 * inter-token histograms with vLLM's buckets), labelled `model_name` and `engine` as vLLM does.
 * Times are simulated seconds, like every duration the simulator reports.
 *
 * What stands in for vLLM's internals: KV-cache use is the share of the model's parallel slots
 * generating (vLLM's blocks fill with running sequences), and prefix-cache hits are the prompt
 * tokens whose blocks the simulated block pool already held (sim/prefix-cache.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StatsStore } from './stats.ts';
import type { ModelConfig } from './types.ts';

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

export class VllmMetrics {
  readonly registry = new Registry();
  private readonly ttft: Histogram<'model_name' | 'engine'>;
  private readonly itl: Histogram<'model_name' | 'engine'>;
  private readonly queries: Counter<'model_name' | 'engine'>;
  private readonly hits: Counter<'model_name' | 'engine'>;

  constructor(models: () => readonly ModelConfig[], stats: StatsStore) {
    const registers = [this.registry];
    const labelNames = ['model_name', 'engine'] as const;
    const perModel = (g: Gauge<'model_name' | 'engine'>, value: (cfg: ModelConfig) => number) => {
      for (const cfg of models()) g.set({ model_name: cfg.name, engine: '0' }, value(cfg));
    };
    new Gauge({
      name: 'vllm:num_requests_running', help: 'Number of requests in model execution batches.', labelNames, registers,
      collect() { perModel(this, (cfg) => stats.model(cfg.name).active); },
    });
    new Gauge({
      name: 'vllm:num_requests_waiting', help: 'Number of requests waiting to be processed.', labelNames, registers,
      collect() { perModel(this, (cfg) => { const s = stats.model(cfg.name); return s.queued + s.waitingForLoad; }); },
    });
    new Gauge({
      name: 'vllm:kv_cache_usage_perc', help: 'KV-cache usage. 1 means 100 percent usage.', labelNames, registers,
      collect() { perModel(this, (cfg) => Math.min(1, stats.model(cfg.name).active / Math.max(1, cfg.numParallel))); },
    });
    this.queries = new Counter({ name: 'vllm:prefix_cache_queries_total', help: 'Prefix cache queries, in terms of number of queried tokens.', labelNames, registers });
    this.hits = new Counter({ name: 'vllm:prefix_cache_hits_total', help: 'Prefix cache hits, in terms of number of cached tokens.', labelNames, registers });
    // vLLM binds each engine's labelled counters at start: the series read 0 before the first hit.
    for (const cfg of models()) this.prompt(cfg.name, 0, 0);
    this.ttft = new Histogram({ name: 'vllm:time_to_first_token_seconds', help: 'Histogram of time to first token in seconds.', labelNames, buckets: TTFT_BUCKETS, registers });
    this.itl = new Histogram({ name: 'vllm:inter_token_latency_seconds', help: 'Histogram of inter-token latency in seconds.', labelNames, buckets: ITL_BUCKETS, registers });
  }

  /** A prompt of `tokens`, `cachedTokens` of which the prefix cache held (sim/prefix-cache.ts). */
  prompt(model: string, tokens: number, cachedTokens: number): void {
    const l = { model_name: model, engine: '0' };
    this.queries.inc(l, tokens);
    this.hits.inc(l, cachedTokens);
  }

  firstToken(model: string, seconds: number): void {
    this.ttft.observe({ model_name: model, engine: '0' }, seconds);
  }

  interToken(model: string, seconds: number): void {
    this.itl.observe({ model_name: model, engine: '0' }, seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
