/**
 * What the portable core needs from a runtime. `edge/fastly/` and `edge/workers/` each build one
 * of these from their platform APIs; the core (edge/app.ts) never imports a runtime module.
 */
import type { EdgeConfig } from './config.ts';
import type { RateLimiter } from './limits/limiter.ts';

export interface ClientInfo {
  /** ISO 3166-1 alpha-2 from the platform's geolocation, upper case; undefined when unknown. */
  country?: string | undefined;
  /** Edge location that took the request (Fastly POP, Cloudflare colo). */
  pop?: string | undefined;
}

export interface OriginFetchInit {
  method: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer> | null;
}

export interface EdgePlatform {
  readonly runtime: 'fastly' | 'workers';
  readonly config: EdgeConfig;
  /** String store holding `tenant:<id>` and `key:<keyId>` (shared/tenants.ts). */
  storeGet(key: string): Promise<string | null>;
  limiter: RateLimiter;
  signingKey(): Promise<CryptoKey>;
  client(): ClientInfo;
  /**
   * Sends the request to the origin with the configured timeouts. Resolves with response headers
   * (body still streaming); rejects with a PuertaError for connect/first-byte failures.
   */
  fetchOrigin(pathAndQuery: string, init: OriginFetchInit): Promise<Response>;
  /** Between-bytes idle limit the core must enforce itself (undefined when the platform does it). */
  readonly coreIdleTimeoutMs?: number | undefined;
  waitUntil?(p: Promise<unknown>): void;
}

export interface EdgeEnv {
  Bindings: { platform: EdgePlatform };
  Variables: {
    requestId: string;
    tenant: import('../shared/tenants.ts').TenantRecord;
    client: ClientInfo;
  };
}
