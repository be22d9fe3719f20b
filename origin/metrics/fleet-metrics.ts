import type { EngineMeasures } from '../routing/engine-measures.ts';
import type { OriginMetrics } from './origin-metrics.ts';
import type { HistogramSeries } from './prebound-histogram.ts';
import type { GaugeSeries, ValueSeries } from './prebound-value.ts';

type Histograms = 'fleetTtft' | 'fleetQueue' | 'fleetReuse';
type Counters = 'fleetPromptTokens' | 'fleetPromptSeconds' | 'fleetDecodeTokens' | 'fleetDecodeSeconds' | 'fleetColdLoads';
type Gauges = 'fleetPrefillRate' | 'fleetDecodeRate' | 'fleetService';

/**
 * The puerta_fleet_* series of one engine and model, each resolved on first use (a series is
 * exported once something was counted in it, as before), so a finished request updates them in
 * place.
 */
class EngineSeries {
  private readonly got = new Map<string, HistogramSeries | ValueSeries>();
  constructor(
    private readonly m: OriginMetrics,
    private readonly upstream: string,
    private readonly model: string,
  ) {}
  private of<S extends HistogramSeries | ValueSeries>(name: Histograms | Counters | Gauges): S {
    let s = this.got.get(name);
    if (!s) this.got.set(name, (s = this.m[name].series(this.upstream, this.model)));
    return s as S;
  }
  observe(name: Histograms, v: number): void {
    this.of<HistogramSeries>(name).observe(v);
  }
  inc(name: Counters, v = 1): void {
    this.of<ValueSeries>(name).inc(v);
  }
  set(name: Gauges, v: number): void {
    this.of<GaugeSeries>(name).set(v);
  }
}

/** The engines measured by the front door, as puerta_fleet_* metrics, from each finished request. */
export function watchEngineMeasures(measures: EngineMeasures, m: OriginMetrics): void {
  const engines = new Map<string, EngineSeries>();
  measures.onMeasured((x) => {
    const key = `${x.upstream}\u0000${x.model}`;
    let l = engines.get(key);
    if (!l) engines.set(key, (l = new EngineSeries(m, x.upstream, x.model)));
    if (x.ttftMs !== undefined) l.observe('fleetTtft', x.ttftMs / 1000);
    if (x.queueMs !== undefined) l.observe('fleetQueue', x.queueMs / 1000);
    if (x.promptTokens !== undefined && x.promptEvalMs !== undefined) {
      l.inc('fleetPromptTokens', x.promptTokens);
      l.inc('fleetPromptSeconds', x.promptEvalMs / 1000);
    }
    if (x.completionTokens !== undefined && x.evalMs !== undefined) {
      l.inc('fleetDecodeTokens', x.completionTokens);
      l.inc('fleetDecodeSeconds', x.evalMs / 1000);
    }
    if (x.reuse !== undefined) l.observe('fleetReuse', x.reuse);
    if (x.coldLoad) l.inc('fleetColdLoads');
    const f = measures.get(x.upstream, x.model)!;
    if (f.prefillTokensPerSecond !== undefined) l.set('fleetPrefillRate', f.prefillTokensPerSecond);
    if (f.decodeTokensPerSecond !== undefined) l.set('fleetDecodeRate', f.decodeTokensPerSecond);
    if (f.serviceMs !== undefined) l.set('fleetService', f.serviceMs / 1000);
  });
}
