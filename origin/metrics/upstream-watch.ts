import type { Logger } from 'pino';
import type { UpstreamClient } from '../upstream/client.ts';
import type { MetricsConfig } from './config.ts';
import type { OriginMetrics } from './origin-metrics.ts';

interface PsModel {
  name: string;
  size_vram?: number;
  expires_at?: string;
}

interface UpstreamState {
  polled: boolean;
  up: boolean | undefined;
  version: string | undefined;
  /** Loaded model → when its keep-alive ends (ms), from the previous poll. */
  loaded: Map<string, number>;
}

/**
 * Polls each upstream for health, loaded models and their VRAM (Ollama /api/ps), and detects
 * engine restarts, which otherwise go unnoticed: a restart hides memory leaks and cold-loads
 * every model again. A restart is counted when the version changes, when the upstream answers
 * again after failing a poll, or when every loaded model vanished before its keep-alive ended.
 */
export class UpstreamWatch {
  private readonly state = new Map<string, UpstreamState>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly upstreams: readonly UpstreamClient[],
    private readonly m: OriginMetrics,
    private readonly cfg: MetricsConfig,
    private readonly log: Logger,
  ) {
    for (const u of upstreams) {
      this.state.set(u.name, { polled: false, up: undefined, version: undefined, loaded: new Map() });
      const mem = cfg.gpuMemoryBytes[u.name] ?? cfg.gpuMemoryBytes['*'];
      if (mem !== undefined) m.gpuMemory.set({ upstream: u.name }, mem);
    }
  }

  start(): void {
    if (this.cfg.upstreamPollMs <= 0) return;
    void this.pollNow();
    this.timer = setInterval(() => void this.pollNow(), this.cfg.upstreamPollMs);
    this.timer.unref();
  }

  /** One poll of every upstream; concurrent callers share it. */
  pollNow(): Promise<void> {
    this.running ??= Promise.all(this.upstreams.map((u) => this.pollOne(u))).then(
      () => {
        this.running = undefined;
      },
      () => {
        this.running = undefined;
      },
    );
    return this.running;
  }

  private restart(u: string, reason: string, detail: Record<string, unknown>): void {
    this.m.restarts.inc({ upstream: u, reason });
    this.log.warn({ upstream: u, reason, ...detail }, 'upstream restart detected');
  }

  private async pollOne(u: UpstreamClient): Promise<void> {
    const st = this.state.get(u.name)!;
    const signal = AbortSignal.timeout(Math.max(2_000, u.cfg.connectTimeoutMs));
    let version: string | undefined;
    let ps: PsModel[] | undefined;
    try {
      if (u.kind === 'ollama') {
        const [v, p] = await Promise.all([
          u.json<{ version?: string }>('GET', '/api/version', undefined, signal),
          u.json<{ models?: PsModel[] }>('GET', '/api/ps', undefined, signal),
        ]);
        version = v.version;
        ps = p.models ?? [];
      } else {
        await u.json('GET', '/v1/models', undefined, signal);
      }
    } catch (err) {
      if (st.up !== false) this.log.warn({ upstream: u.name, err: (err as Error).message }, 'upstream poll failed');
      st.up = false;
      st.polled = true;
      this.m.upstreamUp.set({ upstream: u.name }, 0);
      return;
    }
    const now = Date.now();
    if (st.up === false && st.polled) this.restart(u.name, 'recovered', {});
    else if (version !== undefined && st.version !== undefined && version !== st.version) this.restart(u.name, 'version_change', { from: st.version, to: version });
    st.up = true;
    this.m.upstreamUp.set({ upstream: u.name }, 1);
    if (version !== undefined) {
      if (st.version !== undefined && st.version !== version) this.m.upstreamInfo.remove({ upstream: u.name, version: st.version });
      st.version = version;
      this.m.upstreamInfo.set({ upstream: u.name, version }, 1);
    }
    if (ps) this.applyPs(u.name, st, ps, now);
    st.polled = true;
  }

  private applyPs(upstream: string, st: UpstreamState, ps: PsModel[], now: number): void {
    const next = new Map<string, number>();
    for (const m of ps) {
      const exp = m.expires_at ? Date.parse(m.expires_at) : Number.POSITIVE_INFINITY;
      next.set(m.name, Number.isFinite(exp) ? exp : Number.POSITIVE_INFINITY);
      this.m.modelVram.set({ upstream, model: m.name }, m.size_vram ?? 0);
      if (st.polled && !st.loaded.has(m.name)) this.m.modelLoads.inc({ upstream, model: m.name });
    }
    for (const name of st.loaded.keys()) {
      if (!next.has(name)) this.m.modelVram.remove({ upstream, model: name });
    }
    // Every model gone at once although their keep-alive had time left: the engine lost its state.
    if (st.polled && st.loaded.size > 0 && next.size === 0) {
      const early = [...st.loaded].filter(([, exp]) => exp > now + 1_000).map(([n]) => n);
      if (early.length > 0) this.restart(upstream, 'models_vanished', { models: early });
    }
    st.loaded = next;
    this.m.modelsLoaded.set({ upstream }, next.size);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
