import type { Logger } from 'pino';
import type { LoadedModel, PollResult, UpstreamPoller } from '../upstream/poller.ts';
import type { MetricsConfig } from './config.ts';
import { EngineLoadMetrics } from './engine-load-metrics.ts';
import type { OriginMetrics } from './origin-metrics.ts';

interface UpstreamState {
  /** The upstream answered at least once since the origin started. */
  seen: boolean;
  up: boolean | undefined;
  version: string | undefined;
  /** Loaded model → when its keep-alive ends (ms), from the last successful poll. */
  loaded: Map<string, number>;
}

export type RestartReason = 'version_change' | 'models_vanished';

/**
 * Turns the upstream poller's results into metrics: health, loaded models and their VRAM
 * (Ollama /api/ps), and engine restarts, which otherwise go unnoticed (a restart hides memory
 * leaks and cold-loads every model again). Only evidence counts as a restart: the version changed,
 * or every loaded model vanished before its keep-alive ended. An engine that was not up yet when
 * the origin started, or that answers again after an outage with nothing lost, is not one.
 */
export class UpstreamWatch {
  private readonly state = new Map<string, UpstreamState>();
  private readonly engines: EngineLoadMetrics;

  constructor(
    private readonly poller: UpstreamPoller,
    upstreams: ReadonlyArray<{ name: string }>,
    private readonly m: OriginMetrics,
    cfg: MetricsConfig,
    private readonly log: Logger,
  ) {
    this.engines = new EngineLoadMetrics(m);
    for (const u of upstreams) {
      this.state.set(u.name, { seen: false, up: undefined, version: undefined, loaded: new Map() });
      const mem = cfg.gpuMemoryBytes[u.name] ?? cfg.gpuMemoryBytes['*'];
      if (mem !== undefined) m.gpuMemory.set({ upstream: u.name }, mem);
    }
    poller.onResult((r) => this.observe(r));
  }

  /** Polls every upstream now (tests and the admin API use it); results arrive through the poller. */
  pollNow(): Promise<void> {
    return this.poller.pollNow();
  }

  private restart(u: string, reason: RestartReason, detail: Record<string, unknown>): void {
    this.m.restarts.inc({ upstream: u, reason });
    this.log.warn({ upstream: u, reason, ...detail }, 'upstream restart detected');
  }

  private observe(r: PollResult): void {
    const name = r.upstream.name;
    const st = this.state.get(name);
    if (!st) return;
    if (!r.ok) {
      if (st.up !== false) this.log.warn({ upstream: name, err: r.error }, st.seen ? 'upstream poll failed' : 'upstream not reachable yet');
      st.up = false;
      this.m.upstreamUp.set({ upstream: name }, 0);
      return;
    }
    if (st.up === false && st.seen) this.log.info({ upstream: name }, 'upstream answers again');
    if (r.version !== undefined && st.version !== undefined && r.version !== st.version) this.restart(name, 'version_change', { from: st.version, to: r.version });
    st.up = true;
    this.m.upstreamUp.set({ upstream: name }, 1);
    if (r.version !== undefined) {
      if (st.version !== undefined && st.version !== r.version) this.m.upstreamInfo.remove({ upstream: name, version: st.version });
      st.version = r.version;
      this.m.upstreamInfo.set({ upstream: name, version: r.version }, 1);
    }
    if (r.loaded) this.applyPs(name, st, r.loaded, r.at);
    if (r.engine) this.engines.observe(name, r.engine);
    st.seen = true;
  }

  private applyPs(upstream: string, st: UpstreamState, ps: LoadedModel[], now: number): void {
    const next = new Map<string, number>();
    for (const m of ps) {
      const exp = m.expires_at ? Date.parse(m.expires_at) : Number.POSITIVE_INFINITY;
      next.set(m.name, Number.isFinite(exp) ? exp : Number.POSITIVE_INFINITY);
      this.m.modelVram.set({ upstream, model: m.name }, m.size_vram ?? 0);
      if (st.seen && !st.loaded.has(m.name)) this.m.modelLoads.inc({ upstream, model: m.name });
    }
    for (const name of st.loaded.keys()) {
      if (!next.has(name)) this.m.modelVram.remove({ upstream, model: name });
    }
    // Every model gone at once although their keep-alive had time left: the engine lost its state.
    if (st.seen && st.loaded.size > 0 && next.size === 0) {
      const early = [...st.loaded].filter(([, exp]) => exp > now + 1_000).map(([n]) => n);
      if (early.length > 0) this.restart(upstream, 'models_vanished', { models: early });
    }
    st.loaded = next;
    this.m.modelsLoaded.set({ upstream }, next.size);
  }
}
