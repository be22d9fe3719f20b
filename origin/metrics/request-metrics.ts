import { PHASE_NAMES, phasesOf } from '../core/phases.ts';
import type { RequestObserver, RequestRecord } from '../core/record.ts';
import { modelLabel, routeLabel } from './labels.ts';
import type { OriginMetrics } from './origin-metrics.ts';
import type { HistogramSeries } from './prebound-histogram.ts';

const PHASE_LABEL = { retrieval: 'retrieval', promptBuild: 'prompt_build', queue: 'queue', inference: 'inference', streaming: 'streaming' } as const;

/** Request metrics from the request records: the observer is the only place that reads them. */
export class RequestMetrics implements RequestObserver {
  /** Inter-token series of each open stream, resolved at its first byte. */
  private readonly gaps = new WeakMap<RequestRecord, HistogramSeries>();
  private readonly open = new WeakMap<RequestRecord, string>();

  constructor(private readonly m: OriginMetrics) {}

  onStart(rec: RequestRecord): void {
    if (!rec.stream || this.open.has(rec)) return;
    const route = routeLabel(rec);
    this.open.set(rec, route);
    this.m.inflightStreams.inc({ route });
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
    const openRoute = this.open.get(rec);
    if (openRoute !== undefined) {
      m.inflightStreams.dec({ route: openRoute });
      this.open.delete(rec);
    }
    this.gaps.delete(rec);
    const ended = rec.endedAt ?? Date.now();
    const code = rec.errorCode ?? '';
    m.requests.inc({ model, route, outcome: rec.outcome ?? 'error', status: String(rec.status ?? 0), code });
    m.duration.observe({ model, route }, (ended - rec.receivedAt) / 1000);
    if (rec.firstByteAt !== undefined) m.ttft.observe({ model, route }, (rec.firstByteAt - rec.receivedAt) / 1000);
    if (rec.admittedAt !== undefined) m.queueWait.observe({ model, route }, (rec.admittedAt - (rec.queuedAt ?? rec.admittedAt)) / 1000);
    if (rec.upstreamHeadersAt !== undefined && rec.admittedAt !== undefined) {
      m.upstreamFirstByte.observe({ model, route }, Math.max(0, rec.upstreamHeadersAt - rec.admittedAt) / 1000);
    }
    if (rec.admittedAt !== undefined) {
      const p = phasesOf(rec);
      for (const name of PHASE_NAMES) {
        const v = p[name];
        if (v !== null) m.phase.observe({ model, phase: PHASE_LABEL[name] }, v / 1000);
      }
    }
    const tenant = rec.tenant.id;
    if (rec.promptTokens) m.promptTokens.inc({ tenant, model }, rec.promptTokens);
    if (rec.completionTokens) m.completionTokens.inc({ tenant, model }, rec.completionTokens);
    if (rec.keepalives) m.keepalives.inc({ route }, rec.keepalives);
    if (rec.outcome === 'client_cancelled') m.cancellations.inc({ model, route, phase: rec.firstByteAt === undefined ? 'before_first_byte' : 'streaming' });
    if (rec.upstreamFault) m.upstreamErrors.inc({ upstream: rec.upstream ?? 'none', kind: rec.upstreamFault });
    if (rec.status === 429 || rec.errorType === 'rate_limit_error') m.rateLimited.inc({ tenant, code: code || 'rate_limited' });
  }
}
