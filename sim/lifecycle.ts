import type { ServerResponse } from 'node:http';
import { BusyError, CanceledError, type Lease, type Scheduler } from './scheduler.ts';
import type { StatsStore } from './stats.ts';
import type { PromptChain } from './prompt-chain.ts';
import type { VllmMetrics } from './vllm-metrics.ts';
import type { CancelEvent, ModelConfig, SimOptions } from './types.ts';

export interface Env {
  opts: SimOptions;
  sched: Scheduler;
  stats: StatsStore;
  /** Seeded PRNG for rate-based faults. */
  rnd: () => number;
  /** Sequence for OpenAI ids and per-request seeds. */
  seq: number;
  /** Keys of one-off faults already given to a request (FaultSpec.once). */
  firedOnce: Set<string>;
  /** The vLLM persona's /metrics (SimOptions.persona 'vllm'). */
  vllm?: VllmMetrics;
}

export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * One request's life on the simulated box: admission (load queue, slot), compute accounting,
 * and client-disconnect detection. The socket's close is the only signal Ollama gets that a
 * client left, so it cancels everything at once and records when it was seen.
 */
export class RequestLife {
  readonly ac = new AbortController();
  readonly t0 = performance.now();
  phase: CancelEvent['phase'] = 'queued';
  tokensSent = 0;
  detectedAt = 0;
  lease: Lease | null = null;
  private computing = false;
  /** Extra box share held while prefilling (ModelConfig.prefillComputeWeight). */
  private prefillExtra = 0;
  private ended = false;
  /** Set when the simulator destroys the socket itself (reset fault) so it is not a client cancel. */
  selfReset = false;

  constructor(
    readonly env: Env,
    readonly route: string,
    readonly cfg: ModelConfig,
    readonly res: ServerResponse,
  ) {
    const st = env.stats;
    st.data.inFlight++;
    const ms = st.model(cfg.name);
    if (++ms.inFlight > ms.maxInFlight) ms.maxInFlight = ms.inFlight;
    res.on('close', () => {
      if (res.writableFinished || this.selfReset || this.ended) return;
      this.detectedAt = epochNow();
      this.ac.abort();
    });
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  get gone(): boolean {
    return this.ac.signal.aborted;
  }

  /** Waits for the model and a slot. Returns an error to send, or null when admitted. */
  async admit(keepAliveMs: number | undefined, prompt?: PromptChain): Promise<{ status: number; message: string } | null> {
    try {
      this.lease = await this.env.sched.acquire(this.cfg.name, keepAliveMs, this.signal, () => {
        this.phase = 'loading';
      }, prompt);
      return null;
    } catch (e) {
      if (e instanceof BusyError) return { status: 503, message: e.message };
      if (e instanceof CanceledError) return { status: 499, message: e.message };
      return { status: 500, message: e instanceof Error ? e.message : String(e) };
    }
  }

  startCompute(): void {
    this.computing = true;
    this.env.sched.startCompute(this.cfg);
  }

  /** Prefill begins (true) or ends (false): the request's share of the box changes meanwhile. */
  prefilling(on: boolean): void {
    const extra = on ? (this.cfg.prefillComputeWeight ?? this.cfg.computeWeight) - this.cfg.computeWeight : 0;
    this.env.sched.addLoad(extra - this.prefillExtra);
    this.prefillExtra = extra;
  }

  /** Real ms to simulate `simMs` of GPU work given the current box contention. */
  realMs(simMs: number): number {
    return simMs * this.env.opts.timeScale * this.env.sched.slowdown();
  }

  /** Simulated ns for a real elapsed interval, as Ollama's metrics report it. */
  simNs(realMs: number): number {
    return Math.round((realMs / this.env.opts.timeScale) * 1e6);
  }

  /** Frees the slot and settles the counters; safe to call more than once. */
  end(keepAliveMs?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.prefilling(false);
    if (this.computing) this.env.sched.endCompute(this.cfg);
    this.computing = false;
    this.lease?.release(keepAliveMs);
    const st = this.env.stats;
    st.data.inFlight--;
    st.model(this.cfg.name).inFlight--;
    if (this.gone) {
      st.cancelled({
        route: this.route,
        model: this.cfg.name,
        phase: this.phase,
        detectedAt: this.detectedAt,
        freedAfterMs: this.lease ? epochNow() - this.detectedAt : 0,
        tokensSent: this.tokensSent,
      });
    }
  }
}
