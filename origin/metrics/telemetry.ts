import type { AuditEvents } from '../audit/trail.ts';
import type { Logger } from 'pino';
import type { MetricsConfig } from './config.ts';
import type { Observers } from '../core/record.ts';
import type { UpstreamPoller } from '../upstream/poller.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import type { Router } from '../routing/router.ts';
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
export function startTelemetry(deps: { cfg: { metrics: MetricsConfig; upstreams: ReadonlyArray<{ name: string; url: string }> }; log: Logger; observers: Observers; poller: UpstreamPoller; registry: Pick<UpstreamRegistry, 'upstreams'>; router?: Pick<Router, 'measures' | 'onAffinity' | 'demand'> | undefined }): Telemetry {
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
