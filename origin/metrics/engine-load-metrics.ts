import type { EngineLoad } from '../upstream/engine-load.ts';
import type { OriginMetrics } from './origin-metrics.ts';

/** An engine counter's growth since the last poll; a counter that went back means the engine restarted. */
function growth(prev: number | undefined, next: number | undefined): number {
  if (next === undefined) return 0;
  if (prev === undefined) return 0;
  return next >= prev ? next - prev : next;
}

/**
 * An engine's own /metrics (EngineLoad) as puerta_engine_* metrics, one upstream at a time.
 * The engine's counters are mirrored by their growth between polls (the first poll sets the
 * baseline), its TTFT and inter-token histograms as the mean over the poll period.
 */
export class EngineLoadMetrics {
  private readonly last = new Map<string, EngineLoad>();

  constructor(private readonly m: OriginMetrics) {}

  observe(upstream: string, load: EngineLoad): void {
    const l = { upstream };
    const prev = this.last.get(upstream);
    this.m.engineRunning.set(l, load.running);
    this.m.engineWaiting.set(l, load.waiting);
    if (load.kvCacheUsage !== undefined) this.m.engineKvCache.set(l, load.kvCacheUsage);
    this.m.enginePrefixQueries.inc(l, growth(prev?.prefixCacheQueries, load.prefixCacheQueries));
    this.m.enginePrefixHits.inc(l, growth(prev?.prefixCacheHits, load.prefixCacheHits));
    const mean = (p: EngineLoad['ttft'], n: EngineLoad['ttft']): number | undefined => {
      if (!p || !n || n.count <= p.count) return undefined;
      return (n.sum - p.sum) / (n.count - p.count);
    };
    const ttft = mean(prev?.ttft, load.ttft);
    if (ttft !== undefined) this.m.engineTtft.set(l, ttft);
    const itl = mean(prev?.interToken, load.interToken);
    if (itl !== undefined) this.m.engineInterToken.set(l, itl);
    this.last.set(upstream, load);
  }
}
