import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { OriginMetrics } from './origin-metrics.ts';

interface ConnectEvent {
  connectParams: { host: string; protocol: string };
  connector: object;
}

/**
 * Upstream connect time from undici's diagnostics channels (beforeConnect → connected), the only
 * place a pooled client reveals that a request opened a new connection. Clients of one pool share
 * a connector, so overlapping connects are matched first-in first-out: exact for the usual single
 * connect, close enough under a burst.
 */
export function watchConnectTiming(upstreams: ReadonlyArray<{ name: string; url: string }>, m: OriginMetrics): () => void {
  const byHost = new Map<string, string>();
  for (const u of upstreams) {
    const host = new URL(u.url).host;
    byHost.set(host, byHost.has(host) ? `${byHost.get(host)},${u.name}` : u.name);
  }
  const pending = new Map<object, number[]>();
  const before = (msg: unknown) => {
    const e = msg as ConnectEvent;
    if (!byHost.has(e.connectParams.host)) return;
    let q = pending.get(e.connector);
    if (!q) pending.set(e.connector, (q = []));
    q.push(performance.now());
  };
  const done = (ok: boolean) => (msg: unknown) => {
    const e = msg as ConnectEvent;
    const upstream = byHost.get(e.connectParams.host);
    const q = pending.get(e.connector);
    const t0 = q?.shift();
    if (q && q.length === 0) pending.delete(e.connector);
    if (upstream === undefined || t0 === undefined) return;
    if (ok) m.upstreamConnect.observe({ upstream }, (performance.now() - t0) / 1000);
  };
  const connected = done(true);
  const failed = done(false);
  subscribe('undici:client:beforeConnect', before);
  subscribe('undici:client:connected', connected);
  subscribe('undici:client:connectError', failed);
  return () => {
    unsubscribe('undici:client:beforeConnect', before);
    unsubscribe('undici:client:connected', connected);
    unsubscribe('undici:client:connectError', failed);
  };
}
