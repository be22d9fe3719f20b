import { Hono } from 'hono';
import type { UpstreamRegistry } from './upstream/registry.ts';
import type { OriginEnv } from './core/env.ts';

/** `/healthz`: the process answers. `/readyz`: at least one upstream answers and lists models. */
export function healthRoutes(deps: { registry: Pick<UpstreamRegistry, 'upstreams' | 'probe'>; shutdownSignal: AbortSignal }): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const upstreams = await Promise.all(
      deps.registry.upstreams.map(async (u) => {
        // Always a live call: a configured model list says nothing about whether the engine is up.
        const list = await deps.registry.probe(u);
        return { name: u.name, kind: u.cfg.kind, ok: !list.error, models: list.models.length, ...(list.error ? { error: list.error.message } : {}) };
      }),
    );
    const ready = !deps.shutdownSignal.aborted && upstreams.some((u) => u.ok && u.models > 0);
    return c.json({ status: ready ? 'ready' : 'not_ready', upstreams }, ready ? 200 : 503);
  });
  return app;
}
