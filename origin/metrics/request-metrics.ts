import { PHASE_NAMES, phasesOf } from '../core/phases.ts';
import type { RequestObserver, RequestRecord } from '../core/record.ts';
import { modelLabel, routeLabel } from './labels.ts';
import type { OriginMetrics } from './origin-metrics.ts';
import type { HistogramSeries } from './prebound-histogram.ts';
import type { GaugeSeries } from './prebound-value.ts';

const PHASE_LABEL = { retrieval: 'retrieval', promptBuild: 'prompt_build', queue: 'queue', inference: 'inference', streaming: 'streaming' } as const;

/** Request metrics from the request records: the observer is the only place that reads them. */
export class RequestMetrics implements RequestObserver {
  /** Inter-token series of each open stream, resolved at its first byte. */
  private readonly gaps = new WeakMap<RequestRecord, HistogramSeries>();
  private readonly open = new WeakMap<RequestRecord, GaugeSeries>();

  constructor(private readonly m: OriginMetrics) {}

  onStart(rec: RequestRecord): void {
    if (!rec.stream || this.open.has(rec)) return;
    const inflight = this.m.inflightStreams.series(routeLabel(rec));
    this.open.set(rec, inflight);
    inflight.inc();
  }

  onFirstByte(rec: RequestRecord): void {
    if (rec.stream) this.gaps.set(rec, this.m.interToken.series(modelLabel(rec), routeLabel(rec)));
  }

  onFrame(rec: RequestRecord, gapMs: number): void {
    if (gapMs >= 0) this.gaps.get(rec)?.observe(gapMs / 1000);
  }

  onEnd(rec: RequestRecord): void {
    const m = this.m;
    const route = routeLabel(rec);
    const model = modelLabel(rec);
    const inflight = this.open.get(rec);
    if (inflight !== undefined) {
      inflight.dec();
      this.open.delete(rec);
    }
    this.gaps.delete(rec);
    const ended = rec.endedAt ?? Date.now();
    const code = rec.errorCode ?? '';
    m.requests.series(model, route, rec.outcome ?? 'error', String(rec.status ?? 0), code).inc();
    m.duration.series(model, route).observe((ended - rec.receivedAt) / 1000);
    if (rec.firstByteAt !== undefined) m.ttft.series(model, route).observe((rec.firstByteAt - rec.receivedAt) / 1000);
    if (rec.admittedAt !== undefined) m.queueWait.series(model, route).observe((rec.admittedAt - (rec.queuedAt ?? rec.admittedAt)) / 1000);
    if (rec.upstreamHeadersAt !== undefined && rec.admittedAt !== undefined) {
      m.upstreamFirstByte.series(model, route).observe(Math.max(0, rec.upstreamHeadersAt - rec.admittedAt) / 1000);
    }
    if (rec.admittedAt !== undefined) {
      const p = phasesOf(rec);
      for (const name of PHASE_NAMES) {
        const v = p[name];
        if (v !== null) m.phase.series(model, PHASE_LABEL[name]).observe(v / 1000);
      }
    }
    const tenant = rec.tenant.id;
    if (rec.promptTokens) m.promptTokens.series(tenant, model).inc(rec.promptTokens);
    if (rec.completionTokens) m.completionTokens.series(tenant, model).inc(rec.completionTokens);
    if (rec.keepalives) m.keepalives.series(route).inc(rec.keepalives);
    if (rec.outcome === 'client_cancelled') m.cancellations.series(model, route, rec.firstByteAt === undefined ? 'before_first_byte' : 'streaming').inc();
    if (rec.upstreamFault) m.upstreamErrors.inc({ upstream: rec.upstream ?? 'none', kind: rec.upstreamFault });
    if (rec.status === 429 || rec.errorType === 'rate_limit_error') m.rateLimited.inc({ tenant, code: code || 'rate_limited' });
  }
}
