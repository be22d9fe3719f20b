import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PreboundHistogram } from './prebound-histogram.ts';
import { preboundCounter, preboundGauge } from './prebound-value.ts';

/** Latency buckets (seconds) around the Spark figures: TTFT p50 0.2-0.8 s, p95 0.5-1.4 s, cold load 8-15 s. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 20, 30, 60, 120];
/** Inter-token gaps: 50 tok/s decode is 20 ms; stalls show up in the upper buckets. */
const GAP_BUCKETS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2.5, 5];
const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
const CONNECT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
/**
 * How often the event-loop lag histogram samples, in ms. prom-client's default (10 ms) keeps a
 * timer firing 100 times a second in every replica, busy or idle: about 8 ms of CPU a second,
 * half of what an idle origin with metrics on used. Every 100 ms still gives a 15 s scrape 150
 * samples, taken at even times, so the percentiles estimate the same lag from fewer samples.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * Every metric the origin exports, in its own registry (several origins can run in one test
 * process). Names follow Prometheus conventions: base units, `_total` counters.
 */
export function createOriginMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'puerta_process_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const ml = ['model', 'route'] as const;
  return {
    registry,
    ttft: new PreboundHistogram('puerta_ttft_seconds', 'Time from request received to first content byte sent to the client', ml, LATENCY_BUCKETS, registry),
    interToken: new PreboundHistogram('puerta_inter_token_seconds', 'Gap between consecutive content frames of a stream (one frame per token for OpenAI streams)', ml, GAP_BUCKETS, registry),
    duration: new PreboundHistogram('puerta_request_duration_seconds', 'Time from request received to its last byte (or failure)', ml, DURATION_BUCKETS, registry),
    phase: new PreboundHistogram('puerta_request_phase_seconds', 'Time per phase of a request: retrieval, prompt_build, queue, inference (admission to first byte), streaming (first to last byte)', ['model', 'phase'], LATENCY_BUCKETS, registry),
    queueWait: new PreboundHistogram('puerta_queue_wait_seconds', 'Time a request waited in admission for an engine slot', ml, LATENCY_BUCKETS, registry),
    upstreamFirstByte: new PreboundHistogram('puerta_upstream_first_byte_seconds', 'Time from admission to the upstream response headers (engine scheduling, model load, prefill)', ml, LATENCY_BUCKETS, registry),
    upstreamConnect: new Histogram({ name: 'puerta_upstream_connect_seconds', help: 'TCP (and TLS) connect time of new pooled connections to an upstream; pooled connections are shared by every model and route', labelNames: ['upstream'], buckets: CONNECT_BUCKETS, registers }),

    requests: preboundCounter('puerta_requests_total', 'Requests by outcome, HTTP status and error code', ['model', 'route', 'outcome', 'status', 'code'], registry),
    promptTokens: preboundCounter('puerta_prompt_tokens_total', 'Prompt tokens as counted by the engine', ['tenant', 'model'], registry),
    completionTokens: preboundCounter('puerta_completion_tokens_total', 'Completion tokens as counted by the engine', ['tenant', 'model'], registry),
    keepalives: preboundCounter('puerta_keepalives_total', 'SSE keepalive comments sent', ['route'], registry),
    cancellations: preboundCounter('puerta_client_cancellations_total', 'Requests the client abandoned, by whether any content had been sent', ['model', 'route', 'phase'], registry),
    upstreamErrors: new Counter({ name: 'puerta_upstream_errors_total', help: 'Upstream failures by kind (connect, reset, idle_timeout, first_byte_timeout, busy, …)', labelNames: ['upstream', 'kind'], registers }),
    rateLimited: new Counter({ name: 'puerta_rate_limit_rejections_total', help: 'Requests refused by tenant limits or quotas', labelNames: ['tenant', 'code'], registers }),

    inflightStreams: preboundGauge('puerta_inflight_streams', 'Streams open to clients now', ['route'], registry),
    queueDepth: new Gauge({ name: 'puerta_queue_depth', help: 'Requests waiting in admission per upstream model', labelNames: ['upstream', 'model'], registers }),
    slotsActive: new Gauge({ name: 'puerta_slots_active', help: 'Requests holding an engine slot per upstream model', labelNames: ['upstream', 'model'], registers }),
    slotsLimit: new Gauge({ name: 'puerta_slots_limit', help: 'Engine slots per upstream model (OLLAMA_NUM_PARALLEL); this replica\'s share (slots / replicas) while shared slots fall back', labelNames: ['upstream', 'model'], registers }),
    engineHeld: new Counter({ name: 'puerta_admission_engine_saturated_total', help: 'Requests held in the origin\'s queue because the engine\'s own metrics said it was saturated (admission.engineWaitingLimit, engineKvCacheLimit)', labelNames: ['upstream', 'model'], registers }),
    slotsShared: new Gauge({ name: 'puerta_slots_shared', help: '1 while the slots of an upstream model are leased through Redis and shared by every replica; 0 while this replica decides alone (Redis unreachable, or admission.scope "replica")', labelNames: ['upstream', 'model'], registers }),

    upstreamUp: new Gauge({ name: 'puerta_upstream_up', help: '1 when the last poll of the upstream succeeded', labelNames: ['upstream'], registers }),
    upstreamInfo: new Gauge({ name: 'puerta_upstream_info', help: 'Engine version of each upstream (value 1)', labelNames: ['upstream', 'version'], registers }),
    modelsLoaded: new Gauge({ name: 'puerta_upstream_models_loaded', help: 'Models resident on the upstream (Ollama /api/ps)', labelNames: ['upstream'], registers }),
    modelVram: new Gauge({ name: 'puerta_upstream_model_vram_bytes', help: 'GPU memory held by each loaded model (Ollama /api/ps size_vram)', labelNames: ['upstream', 'model'], registers }),
    gpuMemory: new Gauge({ name: 'puerta_upstream_gpu_memory_bytes', help: 'GPU memory of the upstream box as configured (metrics.gpuMemoryBytes)', labelNames: ['upstream'], registers }),
    modelLoads: new Counter({ name: 'puerta_upstream_model_loads_total', help: 'Models seen appearing in /api/ps (cold loads)', labelNames: ['upstream', 'model'], registers }),
    engineRunning: new Gauge({ name: 'puerta_engine_requests_running', help: 'Requests the engine reports generating (vLLM vllm:num_requests_running), for upstreams with metricsPath', labelNames: ['upstream'], registers }),
    engineWaiting: new Gauge({ name: 'puerta_engine_requests_waiting', help: 'Requests queued inside the engine (vLLM vllm:num_requests_waiting)', labelNames: ['upstream'], registers }),
    engineKvCache: new Gauge({ name: 'puerta_engine_kv_cache_usage_ratio', help: 'Share of the engine\'s KV-cache blocks in use, 0..1 (vLLM vllm:kv_cache_usage_perc)', labelNames: ['upstream'], registers }),
    enginePrefixQueries: new Counter({ name: 'puerta_engine_prefix_cache_queried_tokens_total', help: 'Prompt tokens the engine looked up in its prefix cache (vLLM vllm:prefix_cache_queries_total)', labelNames: ['upstream'], registers }),
    enginePrefixHits: new Counter({ name: 'puerta_engine_prefix_cache_hit_tokens_total', help: 'Prompt tokens the engine found in its prefix cache (vLLM vllm:prefix_cache_hits_total)', labelNames: ['upstream'], registers }),
    engineTtft: new Gauge({ name: 'puerta_engine_mean_ttft_seconds', help: 'Mean time to first token the engine measured over the last poll period (vLLM vllm:time_to_first_token_seconds)', labelNames: ['upstream'], registers }),
    engineInterToken: new Gauge({ name: 'puerta_engine_mean_inter_token_seconds', help: 'Mean inter-token latency the engine measured over the last poll period (vLLM vllm:inter_token_latency_seconds)', labelNames: ['upstream'], registers }),
    // The engines measured by the front door (origin/routing/engine-measures.ts), per engine and model.
    fleetTtft: new PreboundHistogram('puerta_fleet_ttft_seconds', 'Time from admission to the first byte of a stream, per engine and model (scheduling, model load, prefill)', ['upstream', 'model'], LATENCY_BUCKETS, registry),
    fleetQueue: new PreboundHistogram('puerta_fleet_queue_seconds', 'Time a request waited in admission for a slot, per engine and model', ['upstream', 'model'], LATENCY_BUCKETS, registry),
    fleetPromptTokens: preboundCounter('puerta_fleet_prompt_tokens_total', 'Prompt tokens the engine reported evaluating (Ollama counts a cached prompt whole)', ['upstream', 'model'], registry),
    fleetPromptSeconds: preboundCounter('puerta_fleet_prompt_eval_seconds_total', 'Prompt evaluation (prefill) time the engine reported', ['upstream', 'model'], registry),
    fleetDecodeTokens: preboundCounter('puerta_fleet_decode_tokens_total', 'Tokens the engine reported generating', ['upstream', 'model'], registry),
    fleetDecodeSeconds: preboundCounter('puerta_fleet_decode_seconds_total', 'Decode time the engine reported', ['upstream', 'model'], registry),
    fleetPrefillRate: preboundGauge('puerta_fleet_prefill_tokens_per_second', 'Prefill speed of prompts the engine had not cached (its cold rate), moving average', ['upstream', 'model'], registry),
    fleetDecodeRate: preboundGauge('puerta_fleet_decode_tokens_per_second', 'Decode speed, moving average', ['upstream', 'model'], registry),
    fleetService: preboundGauge('puerta_fleet_mean_service_seconds', 'Mean time a request holds its slot (admission to last byte), moving average; used by routing and the queue\'s wait estimate', ['upstream', 'model'], registry),
    fleetReuse: new PreboundHistogram('puerta_fleet_cache_reuse_ratio', 'Share of a prompt the engine did not evaluate (its KV cache): prompt evaluation time against the engine\'s cold rate for that many tokens, or the engine\'s cached-token count', ['upstream', 'model'], [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99], registry),
    fleetColdLoads: preboundCounter('puerta_fleet_cold_loads_total', 'Requests that waited for the engine to load their model (load time over routing.coldLoadMs)', ['upstream', 'model'], registry),
    fleetAffinity: new Counter({ name: 'puerta_fleet_affinity_routes_total', help: 'Requests of a known conversation by how they were routed: kept on the engine of its last turn, rebalanced to another, or new (no engine remembered)', labelNames: ['outcome'], registers }),
    fleetDemandLoads: new Counter({ name: 'puerta_fleet_demand_loads_total', help: 'Models loaded ahead of requests because of recent demand (routing.demandWarm)', labelNames: ['upstream', 'model'], registers }),
    restarts: new Counter({ name: 'puerta_upstream_restarts_total', help: 'Upstream restarts detected (version change, back after unreachable, or every model gone before its keep-alive expired)', labelNames: ['upstream', 'reason'], registers }),

    auditWritten: new Counter({ name: 'puerta_audit_records_written_total', help: 'Audit records durably written, per sink', labelNames: ['sink'], registers }),
    auditFailures: new Counter({ name: 'puerta_audit_sink_failures_total', help: 'Failed audit batch writes, per sink (the batch is retried)', labelNames: ['sink'], registers }),
    auditDropped: new Counter({ name: 'puerta_audit_records_dropped_total', help: 'Audit records dropped after a sink failed for too long', labelNames: ['sink'], registers }),
    auditBatch: new Histogram({ name: 'puerta_audit_batch_write_seconds', help: 'Time to write and fsync one audit batch', labelNames: ['sink'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
  };
}

export type OriginMetrics = ReturnType<typeof createOriginMetrics>;
