/** Public types of the Ollama simulator. Durations in config are simulated milliseconds (scaled by timeScale). */

export type FaultKind = 'error' | 'reset' | 'stall' | 'slow-first-byte' | 'malformed' | 'status' | 'repeat';
export const faultKinds: readonly FaultKind[] = ['error', 'reset', 'stall', 'slow-first-byte', 'malformed', 'status', 'repeat'];

/** One fault to inject into one request. */
export interface FaultSpec {
  kind: FaultKind;
  /** Tokens streamed before the fault fires (error, reset, stall, malformed). */
  after: number;
  /** stall / slow-first-byte duration in simulated ms; stall without ms stalls forever. */
  ms?: number;
  /** HTTP status for kind "status". */
  status?: number;
  /** Error text for kind "error" / "status". */
  message?: string;
  /**
   * A one-off fault: only the first generation that carries this key gets it; later ones (a
   * client's retry of the same request) are served normally.
   */
  once?: string;
}

export interface ModelConfig {
  /** Name as Ollama reports it, with tag: "gpt-oss:20b", "nomic-embed-text:latest". */
  name: string;
  kind: 'chat' | 'embedding';
  family: string;
  parameterSize: string;
  quantization: string;
  /** Bytes on disk / in VRAM (reported by /api/tags and /api/ps). */
  sizeBytes: number;
  contextLength: number;
  /** Prompt processing rate, tokens/s. */
  prefillTokensPerSec: number;
  /** Generation rate of one stream when the box is otherwise idle, tokens/s. */
  decodeTokensPerSec: number;
  /** Fixed latency added to every request's first token, ms. */
  baseLatencyMs: number;
  /** OLLAMA_NUM_PARALLEL for this model. */
  numParallel: number;
  /** Cold load time, ms. */
  loadMs: number;
  /** Share of the box's compute one active request of this model takes (1 = the whole GPU). */
  computeWeight: number;
  /**
   * Share a request takes while it prefills (default computeWeight). Prefill is compute-bound:
   * 1 makes prefillTokensPerSec the GPU's own rate, shared by concurrent prefills, and slows the
   * requests decoding meanwhile, as batched prefill on one GPU does.
   */
  prefillComputeWeight?: number;
  /** Embedding dimension (embedding models; chat models also embed, with this size). */
  embeddingDim: number;
  /** Whether `think` is accepted. */
  thinking: boolean;
  /**
   * How Ollama's parser for this model hands out tool calls. `harmony` (gpt-oss): one call per
   * turn, delivered on the final `done: true` line. `template` (the generic tools parser): each
   * call in its own chunk as soon as it is parsed, numbered by `function.index`. Default template.
   */
  toolCallParser?: 'harmony' | 'template';
  /** Natural answer length range (tokens) when nothing sets it. */
  outputTokens: [number, number];
}

export interface SimOptions {
  port: number;
  host: string;
  models: ModelConfig[];
  /** 0.01 = everything 100x faster. Reported durations stay in simulated time. */
  timeScale: number;
  /** OLLAMA_MAX_QUEUE: requests that may wait for a model load before 503. */
  maxQueue: number;
  /** OLLAMA_MAX_LOADED_MODELS. */
  maxLoadedModels: number;
  /** OLLAMA_KEEP_ALIVE default, simulated ms; negative = forever. */
  defaultKeepAliveMs: number;
  /** Models resident at start (no cold load on first request). */
  preloaded: string[];
  /**
   * Box-wide compute: when the summed computeWeight of active requests exceeds this, every
   * active request slows by the ratio (one GPU shared by all models).
   */
  boxCapacity: number;
  /** Answer 403 to non-local Host headers, as Ollama does on loopback. */
  hostCheck: boolean;
  /** Seed for rate-based faults and output text. */
  seed: number;
  /** Per-request probability of each fault kind. */
  faults: Partial<Record<FaultKind, number>>;
  /** Stall length for rate-based stalls (simulated ms); 0 = forever. */
  faultStallMs: number;
  /** Delay for rate-based slow-first-byte (simulated ms). */
  faultSlowFirstByteMs: number;
  /** Reported by /api/version. */
  version: string;
  /**
   * Which engine's extras the simulator also shows. `vllm`: a Prometheus `GET /metrics` in
   * vLLM's metric names (sim/vllm-metrics.ts), for routing on an engine's own load. Default `ollama`.
   */
  persona?: 'ollama' | 'vllm';
  /**
   * OLLAMA_MULTIUSER_CACHE: a request that does not continue a slot's whole prompt takes the least
   * recently used slot (with the longest shared prefix copied in) instead of overwriting the slot
   * that shares the most (sim/prefix-cache.ts). Default false, as Ollama's.
   */
  multiUserCache?: boolean;
}

export interface CancelEvent {
  route: string;
  model: string;
  /** Where the request was when the client left. */
  phase: 'queued' | 'loading' | 'prefill' | 'streaming';
  /** Epoch ms (fractional) when the simulator saw the socket close. */
  detectedAt: number;
  /** Ms between detection and the slot being free again (0 when it held none). */
  freedAfterMs: number;
  tokensSent: number;
}

export interface ModelStats {
  requests: number;
  completed: number;
  cancelled: number;
  inFlight: number;
  active: number;
  queued: number;
  waitingForLoad: number;
  maxConcurrent: number;
  /**
   * Highest number of this model's requests the engine held at once, generating or waiting in
   * its own queue: what a gateway in front let through (maxConcurrent stops at numParallel).
   */
  maxInFlight: number;
  loads: number;
  unloads: number;
  loaded: boolean;
  /** Prompt tokens of the generations that reached prefill (what prompt_eval_count reported). */
  promptTokens: number;
  /** Of those, the tokens the engine computed: the rest came from its prefix cache. */
  prefillTokens: number;
  /**
   * Slot-milliseconds (real time) of the model's slots in use since start or the last reset: its
   * busy fraction over a span is the change in this over the span's length × numParallel.
   * Integrated at each change, exact where sampling `active` would miss short gaps.
   */
  busySlotMs: number;
}

export interface SimStats {
  requestsByRoute: Record<string, number>;
  requestsByModel: Record<string, number>;
  completed: number;
  cancelled: number;
  cancelEvents: CancelEvent[];
  rejected: { '400': number; '403': number; '404': number; '500': number; '503': number; other: number };
  faultsInjected: Record<FaultKind, number>;
  inFlight: number;
  models: Record<string, ModelStats>;
  loads: number;
  unloads: number;
  /** Highest number of requests generating at once across the box. */
  maxConcurrentBox: number;
}

export interface Simulator {
  url: string;
  port: number;
  stats(): SimStats;
  resetStats(): void;
  setOptions(patch: Partial<SimOptions>): void;
  close(): Promise<void>;
}
