/**
 * The Cloudflare Workers platform for the portable core: tenants from Workers KV, the signing
 * secret from a Worker secret, location from `request.cf`, and origin timeouts enforced here
 * (Workers' fetch has no backend timeout settings): connect + first byte by an abort timer until
 * headers arrive, between bytes by the stream guard.
 */
import { errors, PuertaError } from '../../shared/errors.ts';
import { importSigningKey } from '../../shared/signing.ts';
import type { EdgeConfig } from '../config.ts';
import type { ClientInfo, EdgePlatform, OriginFetchInit } from '../platform.ts';
import { clientCountry } from '../residency/policy.ts';
import type { CfProperties, ExecutionContextLike, WorkersEnv } from './bindings.ts';
import { workersLimiter } from './limiter.ts';

let keyCache: { secret: string; key: Promise<CryptoKey> } | undefined;

function signingKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) {
    return Promise.reject(new Error('EDGE_SIGNING_SECRET is not set (wrangler secret put EDGE_SIGNING_SECRET)'));
  }
  if (keyCache?.secret !== secret) keyCache = { secret, key: importSigningKey(secret) };
  return keyCache.key;
}

async function fetchOrigin(config: EdgeConfig, path: string, init: OriginFetchInit): Promise<Response> {
  const url = new URL(path, config.ORIGIN_URL!);
  const ac = new AbortController();
  const limitMs = config.CONNECT_TIMEOUT_MS + config.FIRST_BYTE_TIMEOUT_MS;
  const timer = setTimeout(() => ac.abort(new Error('first byte timeout')), limitMs);
  try {
    if (config.ORIGIN_HOST) init.headers.set('host', config.ORIGIN_HOST);
    return await fetch(url.toString(), {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: ac.signal,
      redirect: 'manual',
    });
  } catch (e) {
    if (ac.signal.aborted) {
      throw errors.upstreamTimeout(`the origin did not answer within ${limitMs} ms (CONNECT_TIMEOUT_MS + FIRST_BYTE_TIMEOUT_MS)`);
    }
    if (e instanceof PuertaError) throw e;
    throw errors.upstreamUnavailable(`the origin is unreachable from this edge location (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    // Headers are in (or it failed): from here the body streams under the guard's idle limit.
    clearTimeout(timer);
  }
}

export function workersPlatform(req: Request, env: WorkersEnv, ctx: ExecutionContextLike, config: EdgeConfig): EdgePlatform {
  const cf = (req as Request & { cf?: CfProperties }).cf;
  return {
    runtime: 'workers',
    config,
    storeGet: (k) => env.TENANTS.get(k),
    limiter: workersLimiter(
      env.TENANT_RATE_LIMITER,
      Number(env.RATE_LIMIT_BINDING_LIMIT ?? 1000),
      Number(env.RATE_LIMIT_BINDING_PERIOD ?? 60),
    ),
    signingKey: () => signingKey(env.EDGE_SIGNING_SECRET),
    client(): ClientInfo {
      const located = cf?.country && cf.country !== 'XX' && cf.country !== 'T1' ? cf.country.toUpperCase() : undefined;
      // Cloudflare sets CF-Connecting-IP itself (a client's own value is replaced); Miniflare fills
      // it with the loopback peer unless a test sends one.
      const country = clientCountry(located, req.headers.get('cf-connecting-ip') ?? undefined, config.DEFAULT_COUNTRY);
      return { country, pop: cf?.colo };
    },
    fetchOrigin: (path, init) => fetchOrigin(config, path, init),
    coreIdleTimeoutMs: config.BETWEEN_BYTES_TIMEOUT_MS || undefined,
    waitUntil: (p) => ctx.waitUntil(p),
  };
}
