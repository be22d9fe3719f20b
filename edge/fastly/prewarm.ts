/**
 * Runs during `js-compute-runtime`'s build-time initialization (Wizer), whose heap is snapshotted
 * into the wasm. Fastly starts a fresh instance for every request, so any lazy one-time work left
 * for the request path is paid on every request: measured in Viceroy, the first zod parse of each
 * schema costs ~5 ms and building Hono's router about as much. Doing them here moves that cost to
 * build time. Only pure JS runs here (stores, backends and crypto are request-time only).
 */
import type { Hono } from 'hono';
import { keyRecordSchema, tenantRecordSchema } from '../../shared/tenants.ts';
import { parseEdgeConfig } from '../config.ts';
import type { EdgeEnv } from '../platform.ts';

export function prewarm(app: Hono<EdgeEnv>): void {
  parseEdgeConfig({ ORIGIN_URL: 'http://127.0.0.1:1', CORS_ALLOWED_ORIGINS: 'https://a.example', DEFAULT_COUNTRY: 'DE' });
  tenantRecordSchema.parse({ id: 'warm-up', countries: ['DE'], models: ['m'], rateLimit: { requests: 1, windowSeconds: 60 } });
  keyRecordSchema.parse({ id: 'aaaaaaaaaaaa', tenant: 'warm-up', hash: 'sha256:' + '0'.repeat(64) });
  for (const [method, path] of [
    ['GET', '/healthz'],
    ['POST', '/v1/chat/completions'],
    ['POST', '/api/chat'],
    ['OPTIONS', '/v1/models'],
  ] as const) {
    app.router.match(method, path);
  }
}
