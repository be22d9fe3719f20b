/**
 * Runs the Workers build (tests, bench:edge, npm start) (bin/edge-workers.js) in workerd through Miniflare, configured from
 * infra/wrangler.toml by wrangler itself (unstable_getMiniflareWorkerOptions), with local KV
 * seeded from the one tenants file. Only ports, the origin URL and the signing secret differ.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Miniflare, type WorkerOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { toWranglerBulk } from '../cli/tenants-file.ts';
import { ensureEdgeBuilt } from './build.ts';
import type { RunningEdge } from './types.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface WorkerdEdgeOptions {
  originUrl: string;
  tenantsFile: string;
  signingSecret: string;
  /** Extra/overridden vars (edge/config.ts keys). */
  vars?: Record<string, string>;
  /** Override the rate-limit binding's limit (wrangler.toml has the production value). */
  bindingLimit?: { limit: number; period: 10 | 60 };
  /** Listening port; a free one when omitted. */
  port?: number;
}

export async function startWorkerdEdge(opts: WorkerdEdgeOptions): Promise<RunningEdge> {
  ensureEdgeBuilt();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(resolve(ROOT, 'infra/wrangler.toml'));
  const wo = workerOptions as WorkerOptions & { bindings?: Record<string, unknown>; ratelimits?: Record<string, unknown> };
  const bindingLimit = opts.bindingLimit;
  const mf = new Miniflare({
    ...(wo as object),
    name: 'puerta-edge',
    modules: true,
    scriptPath: resolve(ROOT, 'bin/edge-workers.js'),
    compatibilityDate: wo.compatibilityDate ?? '2025-09-01',
    bindings: {
      ...(wo.bindings ?? {}),
      ORIGIN_URL: opts.originUrl,
      EDGE_SIGNING_SECRET: opts.signingSecret,
      ...(bindingLimit
        ? { RATE_LIMIT_BINDING_LIMIT: String(bindingLimit.limit), RATE_LIMIT_BINDING_PERIOD: String(bindingLimit.period) }
        : {}),
      ...(opts.vars ?? {}),
    },
    ...(bindingLimit
      ? { ratelimits: { TENANT_RATE_LIMITER: { simple: { limit: bindingLimit.limit, period: bindingLimit.period } } } }
      : {}),
    // Where a request carries no MF-CF-Blob header, the client is in Germany at colo "LCL".
    cf: { country: 'DE', colo: 'LCL' },
    host: '127.0.0.1',
    port: opts.port ?? 0,
    kvPersist: false,
    verbose: false,
  } as never);
  const url = await mf.ready;
  const kv = await mf.getKVNamespace('TENANTS');
  const data = JSON.parse(readFileSync(opts.tenantsFile, 'utf8')) as Record<string, string>;
  const put = kv as unknown as { put(key: string, value: string): Promise<void> };
  for (const { key, value } of toWranglerBulk(data)) await put.put(key, value);
  return {
    runtime: 'workers',
    url: url.origin,
    clientFrom: (country) => ({ headers: { 'MF-CF-Blob': JSON.stringify({ country, colo: 'LCL' }) } }),
    close: () => mf.dispose(),
  };
}
