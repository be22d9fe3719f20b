/**
 * The Fastly Compute platform for the portable core. Built per request (Fastly runs a fresh
 * instance for each), from the Config/KV/Secret stores, geolocation and a backend whose
 * connect / first-byte / between-bytes timeouts come from configuration.
 */
import { Backend } from 'fastly:backend';
import { env } from 'fastly:env';
import { errors, PuertaError } from '../../shared/errors.ts';
import { importSigningKey } from '../../shared/signing.ts';
import type { EdgeConfig } from '../config.ts';
import { combine, type RateLimiter } from '../limits/limiter.ts';
import type { ClientInfo, EdgePlatform, OriginFetchInit } from '../platform.ts';
import { clientCountry } from '../residency/policy.ts';
import { FastlyKvWindowLimiter } from './kv-limiter.ts';
import { FastlyErlLimiter } from './limiter.ts';
import { signingSecret, STORES, tenantsGet } from './stores.ts';

function originBackend(config: EdgeConfig): { backend: string | Backend; base: string } {
  if (config.ORIGIN_BACKEND) {
    return { backend: config.ORIGIN_BACKEND, base: config.ORIGIN_URL ?? `https://${config.ORIGIN_HOST ?? 'origin'}` };
  }
  const url = new URL(config.ORIGIN_URL!);
  const https = url.protocol === 'https:';
  const port = url.port || (https ? '443' : '80');
  // A stable name per settings lets Fastly pool connections across requests for the same origin.
  const name = `origin_${url.hostname.replace(/[^A-Za-z0-9]/g, '_')}_${port}`;
  if (Backend.exists(name)) return { backend: Backend.fromName(name), base: url.origin };
  const backend = new Backend({
    name,
    target: `${url.hostname}:${port}`,
    hostOverride: config.ORIGIN_HOST ?? url.host,
    useSSL: https,
    ...(https ? { sniHostname: url.hostname, certificateHostname: url.hostname } : {}),
    connectTimeout: config.CONNECT_TIMEOUT_MS,
    firstByteTimeout: config.FIRST_BYTE_TIMEOUT_MS,
    betweenBytesTimeout: config.BETWEEN_BYTES_TIMEOUT_MS,
  });
  return { backend, base: url.origin };
}

/**
 * js-compute reports most send failures as a bare "NetworkError" (a first-byte timeout included,
 * at least in Viceroy), so a failure that took the whole first-byte budget is taken for what it
 * almost certainly is: a timeout (504), not an unreachable origin (503).
 */
function toOriginError(e: unknown, config: EdgeConfig, elapsedMs: number): PuertaError {
  if (e instanceof PuertaError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/timeout|timed out/i.test(msg) || elapsedMs >= config.FIRST_BYTE_TIMEOUT_MS * 0.95) {
    return errors.upstreamTimeout(`the origin did not answer within ${config.FIRST_BYTE_TIMEOUT_MS} ms (FIRST_BYTE_TIMEOUT_MS)`);
  }
  return errors.upstreamUnavailable(`the origin is unreachable from this edge location (${msg})`);
}

export function fastlyPlatform(event: FetchEvent, config: EdgeConfig): EdgePlatform {
  let limiter: RateLimiter = new FastlyErlLimiter();
  if (config.RATE_LIMIT_FALLBACK === 'kv') {
    const erl = limiter;
    const kv = new FastlyKvWindowLimiter(STORES.limits);
    limiter = {
      kind: 'fastly-erl+kv',
      hit: async (key, rule) => combine(await erl.hit(key, rule), await kv.hit(key, rule)),
    };
  }
  let key: Promise<CryptoKey> | undefined;
  return {
    runtime: 'fastly',
    config,
    storeGet: tenantsGet(),
    limiter,
    signingKey: () => (key ??= signingSecret().then(importSigningKey)),
    client(): ClientInfo {
      const geo = event.client.geo;
      const located = geo?.country_code && geo.country_code !== '**' ? geo.country_code.toUpperCase() : undefined;
      const country = clientCountry(located, event.client.address, config.DEFAULT_COUNTRY);
      return { country, pop: env('FASTLY_POP') || undefined };
    },
    async fetchOrigin(path: string, init: OriginFetchInit): Promise<Response> {
      const { backend, base } = originBackend(config);
      const started = Date.now();
      try {
        return await fetch(new URL(path, base).toString(), {
          method: init.method,
          headers: init.headers,
          body: init.body,
          backend,
        });
      } catch (e) {
        throw toOriginError(e, config, Date.now() - started);
      }
    },
    waitUntil: (p) => event.waitUntil(p),
  };
}
