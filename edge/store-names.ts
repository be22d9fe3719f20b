/** Store and secret names shared by the Fastly adapter, fastly.toml and the tooling. */
export const STORES = {
  config: 'puerta_config',
  tenants: 'puerta_tenants',
  secrets: 'puerta_secrets',
  signingSecretKey: 'edge_signing_secret',
  /** KV store for the RATE_LIMIT_FALLBACK=kv window counters (Viceroy; see edge/fastly/kv-limiter.ts). */
  limits: 'puerta_limits',
} as const;
