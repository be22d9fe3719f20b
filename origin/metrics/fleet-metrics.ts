import type { EngineMeasures } from '../routing/engine-measures.ts';
import type { OriginMetrics } from './origin-metrics.ts';

/** The engines measured by the front door, as puerta_fleet_* metrics, from each finished request. */
export function watchEngineMeasures(measures: EngineMeasures, m: OriginMetrics): void {
  measures.onMeasured((x) => {
    const l = { upstream: x.upstream, model: x.model };
    if (x.ttftMs !== undefined) m.fleetTtft.observe(l, x.ttftMs / 1000);
    if (x.queueMs !== undefined) m.fleetQueue.observe(l, x.queueMs / 1000);
    if (x.promptTokens !== undefined && x.promptEvalMs !== undefined) {
      m.fleetPromptTokens.inc(l, x.promptTokens);
      m.fleetPromptSeconds.inc(l, x.promptEvalMs / 1000);
    }
    if (x.completionTokens !== undefined && x.evalMs !== undefined) {
      m.fleetDecodeTokens.inc(l, x.completionTokens);
      m.fleetDecodeSeconds.inc(l, x.evalMs / 1000);
    }
    if (x.reuse !== undefined) m.fleetReuse.observe(l, x.reuse);
    if (x.coldLoad) m.fleetColdLoads.inc(l);
    const f = measures.get(x.upstream, x.model)!;
    if (f.prefillTokensPerSecond !== undefined) m.fleetPrefillRate.set(l, f.prefillTokensPerSecond);
    if (f.decodeTokensPerSecond !== undefined) m.fleetDecodeRate.set(l, f.decodeTokensPerSecond);
    if (f.serviceMs !== undefined) m.fleetService.set(l, f.serviceMs / 1000);
  });
}
