import type { Logger } from 'pino';
import type { UpstreamClient } from '../upstream/client.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';

/**
 * Loads (or, with keep_alive 0, unloads) a model on an engine that manages its models (Ollama):
 * a request without a prompt only loads it; an embedding-only model has no generate, and an
 * embed without input does the same. The engine's answer (its load_duration) is returned.
 */
export async function loadModel(u: UpstreamClient, model: string, keepAlive: string | number, signal: AbortSignal): Promise<{ load_duration?: number }> {
  try {
    return await u.json<{ load_duration?: number }>('POST', '/api/generate', { model, keep_alive: keepAlive, stream: false }, signal, model);
  } catch (err) {
    if ((err as { status?: number }).status !== 400) throw err;
    return await u.json<{ load_duration?: number }>('POST', '/api/embed', { model, input: [], keep_alive: keepAlive }, signal, model);
  }
}

export interface WarmResult {
  upstream: string;
  model: string;
  state: 'loading' | 'warm' | 'failed';
  /** Wall time from the load request to the engine's answer (the model's cold start). */
  coldStartMs?: number;
  /** The engine's own load_duration, ms. */
  loadDurationMs?: number;
  error?: string;
}

/**
 * Pinned models: loaded at start with keep_alive -1 (an Ollama request without prompt only loads
 * the model) and kept resident; the cold-start time of each is logged and reported.
 */
export class WarmModels {
  private readonly list: WarmResult[] = [];
  /** Settles when every pinned model has been tried once. */
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: UpstreamRegistry,
    private readonly log: Logger,
  ) {}

  results(): WarmResult[] {
    return this.list.map((r) => ({ ...r }));
  }

  warmAll(pinned: ReadonlyArray<{ model: string; upstream?: string | undefined }>): Promise<void> {
    this.done = (async () => {
      const jobs: Array<Promise<void>> = [];
      for (const p of pinned) {
        let targets;
        try {
          targets = await this.registry.candidates(p.model);
        } catch (err) {
          this.list.push({ upstream: p.upstream ?? '*', model: p.model, state: 'failed', error: (err as Error).message });
          this.log.error({ model: p.model, err: (err as Error).message }, 'pinned model is not served by any upstream');
          continue;
        }
        for (const t of targets) {
          if (!t.upstream.dialect.warms || (p.upstream && t.upstream.name !== p.upstream)) continue;
          const r: WarmResult = { upstream: t.upstream.name, model: t.upstreamModel, state: 'loading' };
          this.list.push(r);
          jobs.push(this.warmOne(r));
        }
      }
      await Promise.all(jobs);
    })();
    return this.done;
  }

  private async warmOne(r: WarmResult): Promise<void> {
    const u = this.registry.upstreams.find((x) => x.name === r.upstream)!;
    const start = performance.now();
    const signal = AbortSignal.timeout(u.cfg.firstByteTimeoutMs);
    try {
      const out = await loadModel(u, r.model, -1, signal);
      r.coldStartMs = Math.round(performance.now() - start);
      if (typeof out.load_duration === 'number') r.loadDurationMs = Math.round(out.load_duration / 1e6);
      r.state = 'warm';
      this.log.info({ upstream: r.upstream, model: r.model, coldStartMs: r.coldStartMs, loadDurationMs: r.loadDurationMs }, 'pinned model loaded and kept resident');
    } catch (err) {
      r.state = 'failed';
      r.error = (err as Error).message;
      this.log.error({ upstream: r.upstream, model: r.model, err: r.error }, 'pinned model failed to load');
    }
  }
}
