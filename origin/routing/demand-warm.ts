import type { Logger } from 'pino';
import { PuertaError } from '../../shared/errors.ts';
import type { RequestObserver, RequestRecord } from '../pipeline/record.ts';
import type { RoutingConfig } from './config.ts';

/** The little of an upstream client demand warming uses (origin/upstream/client.ts). */
export interface WarmableUpstream {
  name: string;
  dialect: { warms: boolean; canonicalModel(name: string): string };
  cfg: { firstByteTimeoutMs: number };
}

/** What demand warming is given: the upstreams serving a model, and how to load one (routing/warm.ts: loadModel). */
export interface DemandWarmIo<U extends WarmableUpstream> {
  candidates(model: string): Promise<ReadonlyArray<{ upstream: U; upstreamModel: string }>>;
  load(u: U, model: string, keepAlive: string, signal: AbortSignal): Promise<{ load_duration?: number }>;
  /** Whether routing would send requests to the upstream now (healthy, not drained). */
  available(upstream: string): boolean;
}

export interface DemandLoad {
  upstream: string;
  model: string;
  /** The engine's own load time, ms. */
  loadMs: number | undefined;
}

/**
 * Models warmed by demand: a model asked for at least `minRequests` times in the last
 * `windowMs` is wanted on every healthy engine that serves it and manages its models (Ollama),
 * each engine taking its `maxModelsPerEngine` most asked-for (a fleet with more models than
 * memory must not thrash); each check loads them where the engine's last /api/ps does not list
 * them, with `keepAlive`, so
 * the next request there (affinity or load may send it anywhere) finds it resident. Models
 * nobody asks for are left to their keep_alive and unload by themselves; loading a wanted one
 * into a full engine makes Ollama evict the least recently used. Only the newest `minRequests`
 * request times are kept per model: memory stays bounded by the models served.
 */
export class DemandWarmer<U extends WarmableUpstream = WarmableUpstream> implements RequestObserver {
  private readonly recent = new Map<string, number[]>();
  private readonly loaded = new Map<string, Set<string>>();
  private readonly loading = new Set<string>();
  private readonly listeners: Array<(l: DemandLoad) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Loads started by demand since start (for /admin). */
  loads = 0;

  constructor(
    private readonly cfg: RoutingConfig['demandWarm'],
    private readonly io: DemandWarmIo<U>,
    private readonly log: Logger,
  ) {}

  onLoad(listener: (l: DemandLoad) => void): void {
    this.listeners.push(listener);
  }

  onEnd(rec: RequestRecord): void {
    if (rec.upstreamModel === undefined || rec.upstream === undefined) return;
    const times = this.recent.get(rec.upstreamModel) ?? [];
    times.push(rec.endedAt ?? Date.now());
    if (times.length > this.cfg.minRequests) times.shift();
    this.recent.set(rec.upstreamModel, times);
  }

  /** What the poller saw loaded on each engine. */
  polled(r: { upstream: WarmableUpstream; ok: boolean; loaded?: ReadonlyArray<{ name: string }> | undefined }): void {
    if (r.ok && r.loaded) this.loaded.set(r.upstream.name, new Set(r.loaded.map((m) => r.upstream.dialect.canonicalModel(m.name))));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.cfg.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Models with enough recent demand, the most asked for (requests per second lately) first. */
  wanted(now = Date.now()): string[] {
    const out: Array<{ model: string; rate: number }> = [];
    for (const [model, times] of this.recent) {
      if (times.length >= this.cfg.minRequests && now - times[0]! <= this.cfg.windowMs) out.push({ model, rate: times.length / Math.max(1, now - times[0]!) });
      else if (now - times[times.length - 1]! > this.cfg.windowMs) this.recent.delete(model);
    }
    return out.sort((a, b) => b.rate - a.rate).map((w) => w.model);
  }

  /** One round: on each engine, its most wanted models (up to maxModelsPerEngine) loaded where they are not. */
  async check(): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    const placed = new Map<string, number>();
    for (const model of this.wanted()) {
      let targets;
      try {
        targets = await this.io.candidates(model);
      } catch {
        continue;
      }
      for (const t of targets) {
        const u = t.upstream;
        const key = `${u.name}\0${t.upstreamModel}`;
        if (!u.dialect.warms || !this.io.available(u.name)) continue;
        // A more wanted model already took this engine's room (loaded or being loaded).
        const n = placed.get(u.name) ?? 0;
        if (n >= this.cfg.maxModelsPerEngine) continue;
        placed.set(u.name, n + 1);
        if (this.loading.has(key)) continue;
        // Not polled yet: nothing known, nothing done.
        const resident = this.loaded.get(u.name);
        if (!resident || resident.has(u.dialect.canonicalModel(t.upstreamModel))) continue;
        this.loading.add(key);
        jobs.push(
          this.io
            .load(u, t.upstreamModel, this.cfg.keepAlive, AbortSignal.timeout(u.cfg.firstByteTimeoutMs))
            .then((out) => {
              resident.add(u.dialect.canonicalModel(t.upstreamModel));
              this.loads++;
              const l: DemandLoad = { upstream: u.name, model: t.upstreamModel, loadMs: typeof out.load_duration === 'number' ? out.load_duration / 1e6 : undefined };
              this.log.info(l, 'model loaded ahead of demand');
              for (const f of this.listeners) f(l);
            })
            // logMessage: never the engine's own text.
            .catch((err: unknown) => this.log.warn({ upstream: u.name, model: t.upstreamModel, err: err instanceof PuertaError ? err.logMessage : (err as Error)?.name }, 'loading a model ahead of demand failed'))
            .finally(() => this.loading.delete(key)),
        );
      }
    }
    await Promise.all(jobs);
  }
}
