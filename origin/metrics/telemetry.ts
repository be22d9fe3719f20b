import type { AuditEvents } from '../audit/trail.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { watchConnectTiming } from './connect-timing.ts';
import { createOriginMetrics, type OriginMetrics } from './origin-metrics.ts';
import { watchEngineMeasures } from './fleet-metrics.ts';
import { RequestMetrics } from './request-metrics.ts';
import { UpstreamWatch } from './upstream-watch.ts';

export interface Telemetry {
  metrics: OriginMetrics;
  watch: UpstreamWatch;
  /** Hooks that count audit writes and failures. */
  auditEvents: AuditEvents;
  close(): Promise<void>;
}

/** Metrics for one origin: registry, request observer, upstream watch (on the shared poller), connect timing. */
export function startTelemetry(deps: OriginDeps): Telemetry {
  const metrics = createOriginMetrics();
  deps.observers.add(new RequestMetrics(metrics));
  const stopConnect = watchConnectTiming(deps.cfg.upstreams, metrics);
  if (deps.router?.measures) watchEngineMeasures(deps.router.measures, metrics);
  deps.router?.onAffinity((outcome) => metrics.fleetAffinity.inc({ outcome }));
  deps.router?.demand?.onLoad((l) => metrics.fleetDemandLoads.inc({ upstream: l.upstream, model: l.model }));
  const watch = new UpstreamWatch(deps.poller, deps.registry.upstreams, metrics, deps.cfg.metrics, deps.log);
  const auditEvents: AuditEvents = {
    written: (sink, n, s) => {
      metrics.auditWritten.inc({ sink }, n);
      metrics.auditBatch.observe({ sink }, s);
    },
    failed: (sink) => metrics.auditFailures.inc({ sink }),
    dropped: (sink, n) => metrics.auditDropped.inc({ sink }, n),
  };
  return {
    metrics,
    watch,
    auditEvents,
    async close() {
      stopConnect();
    },
  };
}
