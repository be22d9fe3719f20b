import type { UpstreamClient } from './client.ts';
import { readEngineLoad, type EngineLoad } from './engine-load.ts';

/** A model Ollama reports as loaded (/api/ps). */
export interface LoadedModel {
  name: string;
  size_vram?: number;
  expires_at?: string;
}

/** What one poll of one upstream saw. */
export type PollResult =
  | { upstream: UpstreamClient; ok: true; at: number; version?: string; loaded?: LoadedModel[]; engine?: EngineLoad }
  | { upstream: UpstreamClient; ok: false; at: number; error: string };

export interface PollerConfig {
  /** Poll period per upstream; 0 turns periodic polls off (pollNow still works). */
  intervalMs: number;
  /** Longest one poll (both requests) may take before it counts as failed. */
  timeoutMs: number;
}

/**
 * The one poller of every upstream: routing health and the metrics watcher both read its results,
 * so the engine is asked once per period (Ollama: /api/version and /api/ps; OpenAI kind: /v1/models).
 */
export class UpstreamPoller {
  private readonly listeners: Array<(r: PollResult) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly upstreams: readonly UpstreamClient[],
    private readonly cfg: PollerConfig,
  ) {}

  onResult(listener: (r: PollResult) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.cfg.intervalMs <= 0 || this.timer) return;
    void this.pollNow();
    this.timer = setInterval(() => void this.pollNow(), this.cfg.intervalMs);
    this.timer.unref();
  }

  /** One poll of every upstream; concurrent callers share it. */
  pollNow(): Promise<void> {
    this.running ??= Promise.all(this.upstreams.map((u) => this.pollOne(u))).then(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pollOne(u: UpstreamClient): Promise<void> {
    const signal = AbortSignal.timeout(this.cfg.timeoutMs);
    let result: PollResult;
    // The engine's own load, where configured; a failed read leaves health alone (the probe decides).
    const metricsPath = u.cfg.metricsPath;
    const engine = metricsPath
      ? u.text(metricsPath, signal).then(readEngineLoad, () => undefined)
      : Promise.resolve(undefined);
    try {
      const watch = u.dialect.watch;
      if (watch) {
        const [v, p] = await Promise.all([
          u.json<{ version?: string }>('GET', watch.versionPath, undefined, signal),
          u.json<{ models?: LoadedModel[] }>('GET', watch.loadedPath, undefined, signal),
        ]);
        result = { upstream: u, ok: true, at: Date.now(), ...(v.version !== undefined ? { version: v.version } : {}), loaded: p.models ?? [] };
      } else {
        await u.json('GET', u.dialect.probePath, undefined, signal);
        result = { upstream: u, ok: true, at: Date.now() };
      }
      const load = await engine;
      if (load) result.engine = load;
    } catch (err) {
      result = { upstream: u, ok: false, at: Date.now(), error: (err as Error)?.message ?? String(err) };
    }
    for (const l of this.listeners) l(result);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
