/**
 * The Cloudflare bindings this adapter uses (infra/wrangler.toml), typed here to the extent
 * used so the root tsconfig needs no @cloudflare/workers-types.
 */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
}

/** Workers rate-limit binding (`ratelimits` in wrangler config): a fixed limit per binding. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface WorkersEnv extends Partial<Record<string, unknown>> {
  TENANTS: KVNamespaceLike;
  TENANT_RATE_LIMITER?: RateLimitBinding;
  /** `wrangler secret put EDGE_SIGNING_SECRET` (a `.dev.vars` entry locally). */
  EDGE_SIGNING_SECRET?: string;
  /** The binding's configured limit and period, for the x-ratelimit-* headers it cannot report. */
  RATE_LIMIT_BINDING_LIMIT?: string;
  RATE_LIMIT_BINDING_PERIOD?: string;
}

export interface ExecutionContextLike {
  waitUntil(p: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface CfProperties {
  country?: string;
  colo?: string;
}
