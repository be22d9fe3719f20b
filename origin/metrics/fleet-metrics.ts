import type { EngineMeasures } from '../routing/engine-measures.ts';
import type { OriginMetrics } from './origin-metrics.ts';

/** The engines measured by the front door, as puerta_fleet_* metrics, from each finished request. */
export function watchEngineMeasures(measures: EngineMeasures, m: OriginMetrics): void {
  measures.onMeasured((x) => {
    const { upstream, model } = x;
    if (x.ttftMs !== undefined) m.fleetTtft.series(upstream, model).observe(x.ttftMs / 1000);
    if (x.queueMs !== undefined) m.fleetQueue.series(upstream, model).observe(x.queueMs / 1000);
    if (x.promptTokens !== undefined && x.promptEvalMs !== undefined) {
      m.fleetPromptTokens.series(upstream, model).inc(x.promptTokens);
      m.fleetPromptSeconds.series(upstream, model).inc(x.promptEvalMs / 1000);
    }
    if (x.completionTokens !== undefined && x.evalMs !== undefined) {
      m.fleetDecodeTokens.series(upstream, model).inc(x.completionTokens);
      m.fleetDecodeSeconds.series(upstream, model).inc(x.evalMs / 1000);
    }
    if (x.reuse !== undefined) m.fleetReuse.series(upstream, model).observe(x.reuse);
    if (x.coldLoad) m.fleetColdLoads.series(upstream, model).inc();
    const f = measures.get(upstream, model)!;
    if (f.prefillTokensPerSecond !== undefined) m.fleetPrefillRate.series(upstream, model).set(f.prefillTokensPerSecond);
    if (f.decodeTokensPerSecond !== undefined) m.fleetDecodeRate.series(upstream, model).set(f.decodeTokensPerSecond);
    if (f.serviceMs !== undefined) m.fleetService.series(upstream, model).set(f.serviceMs / 1000);
  });
}
