/**
 * Edge configuration: one flat string map (Fastly Config Store `puerta_config`, Workers `vars`),
 * validated with zod at the start of each request. Fastly runs a fresh instance per request, so
 * there is no "process start" to validate at; a bad value answers 500 with a message naming the
 * key, the value and what is allowed, instead of misbehaving quietly.
 */
import { z } from 'zod';

const ms = (def: number, max = 2 ** 31) => z.coerce.number().int().min(0).max(max).default(def);

const csv = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

export const edgeConfigSchema = z.object({
  /** Where the origin listens. Workers fetch it; Fastly builds a dynamic backend from it. */
  ORIGIN_URL: z.url({ protocol: /^https?$/, message: 'an http(s) URL such as https://origin.example.eu' }).optional(),
  /** Fastly only: use this named backend (fastly.toml / service config) instead of a dynamic one. */
  ORIGIN_BACKEND: z.string().regex(/^[A-Za-z0-9_-]{1,254}$/, 'a Fastly backend name').optional(),
  /** Host header for the origin (TLS SNI and virtual hosting); defaults to ORIGIN_URL's host. */
  ORIGIN_HOST: z.string().optional(),
  CONNECT_TIMEOUT_MS: ms(2_000),
  /** Must exceed the origin's queue wait limit plus a cold model load (docs/design.md "Timeouts"). */
  FIRST_BYTE_TIMEOUT_MS: ms(180_000),
  /** Must exceed the origin's keepalive interval (15 s default) and stay ≤ 60 s on Fastly clustering. */
  BETWEEN_BYTES_TIMEOUT_MS: ms(45_000),
  /** `*` or a comma-separated list of exact origins (https://app.example.eu). Empty: no CORS. */
  CORS_ALLOWED_ORIGINS: csv,
  CORS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  /** Request bodies are read whole to sign their digest; this bounds that. */
  // One phone photo (3–8 MB JPEG, up to ~11 MB in base64) plus the rest of the request.
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  /**
   * POST /v1/files (a batch input file, JSONL): read whole and signed like any body, so it is
   * bounded too, above MAX_BODY_BYTES. Keep it at or below the origin's batch.maxFileBytes.
   */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
  /**
   * Fastly only. `kv`: also count per-tenant windows in the KV store. For Viceroy, whose Edge Rate
   * Limiting is a stub that never limits; in production ERL alone is right (KV writes are slow).
   */
  RATE_LIMIT_FALLBACK: z.enum(['none', 'kv']).default('none'),
  /** How long an edge instance trusts a tenant/key record it read (Workers isolates live on). */
  TENANT_CACHE_TTL_MS: ms(30_000),
  /**
   * Country to assume for a loopback client the platform cannot locate (local runs). Never used
   * for any other client, so it cannot open residency in production (edge/residency/policy.ts).
   */
  DEFAULT_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case').optional(),
  LOG_REQUESTS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;
export type EdgeConfigInput = Partial<Record<keyof z.input<typeof edgeConfigSchema>, string>>;

export const CONFIG_KEYS = Object.keys(edgeConfigSchema.shape) as (keyof EdgeConfig)[];

export class EdgeConfigError extends Error {
  override name = 'EdgeConfigError';
}

export function parseEdgeConfig(raw: Record<string, string | undefined>): EdgeConfig {
  const cleaned: Record<string, string> = {};
  for (const k of CONFIG_KEYS) {
    const v = raw[k];
    if (v !== undefined && v !== '') cleaned[k] = v;
  }
  const r = edgeConfigSchema.safeParse(cleaned);
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const key = String(i.path[0] ?? '(config)');
      return `${key}=${JSON.stringify(cleaned[key] ?? null)}: ${i.message}`;
    });
    throw new EdgeConfigError(`edge configuration invalid: ${msgs.join('; ')}`);
  }
  if (!r.data.ORIGIN_URL && !r.data.ORIGIN_BACKEND) {
    throw new EdgeConfigError('edge configuration invalid: set ORIGIN_URL (or ORIGIN_BACKEND on Fastly)');
  }
  return r.data;
}
