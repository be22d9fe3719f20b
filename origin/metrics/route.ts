import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Admission } from '../core/admission.ts';
import type { OriginEnv } from '../core/env.ts';
import type { OriginMetrics } from './origin-metrics.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Queue depth and slots from the admission's own view, read at scrape time. */
export function sampleAdmission(admission: Admission, m: OriginMetrics): void {
  const snap = admission.snapshot?.();
  if (!snap) return;
  m.queueDepth.reset();
  m.slotsActive.reset();
  m.slotsLimit.reset();
  m.slotsShared.reset();
  // The gates count since start; the counter is rebuilt from their totals at each scrape.
  m.engineHeld.reset();
  for (const s of snap) {
    const l = { upstream: s.upstream, model: s.model };
    m.queueDepth.set(l, s.queued);
    m.slotsActive.set(l, s.active);
    m.slotsLimit.set(l, s.limit);
    m.slotsShared.set(l, s.scope === 'redis' ? 1 : 0);
    m.engineHeld.inc(l, s.stats?.queuedEngineSaturated ?? 0);
  }
}

/** `GET /metrics` in Prometheus text format; with a token configured, only for `Bearer <token>`. */
export function metricsRoute(m: OriginMetrics, deps: { admission: Admission }, token: string | undefined): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  const want = token === undefined ? undefined : digest(token);
  app.get('/metrics', async (c) => {
    if (want) {
      const auth = c.req.header('authorization') ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      // Compared as fixed-length digests: no early exit reveals how much of the token matched.
      if (!timingSafeEqual(digest(given), want)) {
        return c.text('metrics need Authorization: Bearer <METRICS_TOKEN>\n', 401, { 'www-authenticate': 'Bearer realm="metrics"' });
      }
    }
    // Read at scrape time: the admission may be replaced during setup.
    sampleAdmission(deps.admission, m);
    return c.body(await m.registry.metrics(), 200, { 'content-type': m.registry.contentType });
  });
  return app;
}
