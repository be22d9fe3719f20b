import { z } from 'zod';
import { auditConfigSchema } from '../audit/config.ts';
import { regionViolations } from '../audit/policy.ts';
import { metricsConfigSchema } from '../metrics/config.ts';
import { adminConfigSchema } from '../admin/config.ts';
import { consoleConfigSchema } from '../console/config.ts';
import { admissionConfigSchema } from '../admission/config.ts';
import { quotaConfigSchema } from '../quota/config.ts';
import { redisConfigSchema, redisConfigured } from '../redis/config.ts';
import { routingConfigSchema } from '../routing/config.ts';
import { retrievalConfigSchema } from '../retrieval/config.ts';
import { retrievalStoreRegion } from '../retrieval/residency.ts';
import { batchConfigSchema } from '../batch/config.ts';
import { batchStoreRegion } from '../batch/residency.ts';

const ms = (def: number) => z.coerce.number().int().nonnegative().default(def);

export const upstreamSchema = z.object({
  name: z.string().min(1).regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'letters, digits, . _ - only'),
  /** `ollama`: native /api (preferred: keep_alive, num_ctx, mid-stream errors); `openai`: any /v1 engine. */
  kind: z.enum(['ollama', 'openai']).default('ollama'),
  url: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().optional(),
  /** Ollama refuses non-local Host headers when it listens on loopback; send this one instead. */
  hostHeader: z.string().optional(),
  /** Models served here; when empty they are discovered from /api/tags or /v1/models. */
  models: z.array(z.string().min(1)).default([]),
  connectTimeoutMs: ms(5_000),
  /** Until response headers: covers Ollama's own slot wait and a cold model load. */
  firstByteTimeoutMs: ms(300_000),
  /** Longest silence between upstream bytes before the stream is failed with a retryable error. */
  idleTimeoutMs: ms(120_000),
  /** How long an idle pooled connection to the upstream stays open for reuse. */
  poolIdleMs: ms(30_000),
  /** Longest a metadata request may take: model discovery (/api/tags, /v1/models), and the /api/tags, /api/ps and /api/version relays. */
  metadataTimeoutMs: ms(10_000),
  /** Ollama keep_alive sent with every request to this upstream (seconds, or a Go duration). */
  keepAlive: z.union([z.number(), z.string()]).optional(),
  /** Ollama options.num_ctx sent with every request (Ollama's /v1 layer cannot set it). */
  numCtx: z.coerce.number().int().positive().optional(),
  /**
   * The engine's Prometheus metrics (vLLM: `/metrics`), read on every health poll: its queue
   * depth and KV-cache use steer routing and admission and become puerta_engine_* metrics.
   */
  metricsPath: z.string().regex(/^\/[\w./-]*$/, 'a path starting with /').optional(),
  /**
   * How structured output is asked of an OpenAI-compatible engine: OpenAI's `json_schema`
   * (vLLM, SGLang, Ollama's /v1, llama.cpp's own server), or `json_object` with the schema beside
   * it, the only form llama-cpp-python's server takes.
   */
  responseFormat: z.enum(['json_schema', 'json_object']).default('json_schema'),
});
export type UpstreamConfig = z.infer<typeof upstreamSchema>;

export const originConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.coerce.number().int().min(0).max(65535).default(8080),
        // One phone photo (3–8 MB JPEG, up to ~11 MB in base64) plus the rest of the request.
        maxBodyBytes: z.coerce.number().int().positive().default(16 * 1024 * 1024),
        /** On SIGTERM: stop accepting, let open streams run this long, then end them with an error event. */
        shutdownGraceMs: ms(30_000),
        /**
         * How long an idle client connection (the edge's pooled one) stays open between requests
         * (Node's keepAliveTimeout). It must outlast the client pool's own idle limit, or a reused
         * connection can be closed under a request just sent.
         */
        idleTimeoutMs: ms(5_000),
        /**
         * Longest time a client may take to send its request headers; then 408 and the connection
         * is closed (a slow-headers client holds a socket, never a slot).
         */
        headersTimeoutMs: z.coerce.number().int().positive().default(30_000),
        /**
         * Longest time a client may take to send its whole request, headers and body; then 408 and
         * the connection is closed. Counts only until the request is received: the response (a
         * long stream) is bounded by the upstream timeouts and stream.writeStallMs, not by this.
         */
        requestReceiveTimeoutMs: z.coerce.number().int().positive().default(120_000),
        /**
         * Connections the kernel completes and holds while the process is busy (listen(2)'s
         * backlog; Linux caps it at net.core.somaxconn). Past it, a burst's extra connections lose
         * their SYN and retry after 1 s, then 3 s: a reconnect storm shows up as whole seconds of
         * TTFT. Node's and nginx's default is 511.
         */
        listenBacklog: z.coerce.number().int().min(1).max(65_535).default(511),
      })
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .prefault({}),
    auth: z
      .object({
        mode: z.enum(['none', 'edge', 'keys']).default('none'),
        edgeSecret: z.string().min(32, 'use at least 32 characters (openssl rand -hex 32)').optional(),
        tenantsFile: z.string().optional(),
        maxSkewMs: ms(300_000),
      })
      .prefault({}),
    stream: z
      .object({
        /** Silence after which `: keepalive` is sent; must stay below every idle timeout downstream. */
        keepaliveMs: z.coerce.number().int().positive().default(15_000),
        /**
         * A client that reads nothing for this long while the origin's buffer for it is full (about
         * 64 KiB) has stalled: the upstream request is aborted, its engine slot freed, the
         * connection closed, and the request recorded with outcome `client_stalled`.
         */
        writeStallMs: z.coerce.number().int().positive().default(30_000),
      })
      .prefault({}),
    upstreams: z.array(upstreamSchema).min(1, 'configure at least one upstream (OLLAMA_URL or upstreams[])'),
    /** How long a discovered model list is trusted before /api/tags is asked again. */
    modelsRefreshMs: ms(30_000),
    /** Audit trail: processing region, sinks, tenant policies (origin/audit/config.ts). */
    audit: auditConfigSchema.prefault({}),
    /** Prometheus metrics and upstream polling (origin/metrics/config.ts). */
    metrics: metricsConfigSchema.prefault({}),
    /** Redis shared by every replica (standalone, Cluster or Sentinel): origin/redis/config.ts. */
    redis: redisConfigSchema,
    /** Tenant limits and usage accounting: origin/quota/config.ts. */
    quota: quotaConfigSchema,
    /** Slots per upstream model, priority queue, wait limit: origin/admission/config.ts. */
    admission: admissionConfigSchema,
    /** Aliases (personas), pinned models, health checks and ejection: origin/routing/config.ts. */
    routing: routingConfigSchema,
    /** Admin API (/admin/usage …): origin/admin/config.ts. */
    admin: adminConfigSchema,
    /** The operator console (/console): origin/console/config.ts; off unless CONSOLE_USER and CONSOLE_PASSWORD_HASH are set. */
    console: consoleConfigSchema,
    /** Retrieval stage (collections, ingestion, RAG aliases): origin/retrieval/config.ts. */
    retrieval: retrievalConfigSchema,
    /** Batch jobs (OpenAI Files and Batch APIs): origin/batch/config.ts. */
    batch: batchConfigSchema,
  })
  .superRefine((cfg, ctx) => {
    // Data residency: no sink outside a tenant policy's regions, or the origin does not start.
    // The retrieval store keeps documents and vectors: it answers to the same policies as the sinks.
    // So does the batch store (files hold prompts and answers).
    const stores = [retrievalStoreRegion(cfg.retrieval), batchStoreRegion(cfg.batch)].filter((s) => s !== undefined);
    for (const v of regionViolations(cfg.audit, stores)) {
      ctx.addIssue({ code: 'custom', path: v.path[0] === 'retrieval' || v.path[0] === 'batch' ? [...v.path] : ['audit', ...v.path], message: v.message });
    }
    if (cfg.batch.databaseUrl && !cfg.batch.databaseRegion) {
      ctx.addIssue({ code: 'custom', path: ['batch', 'databaseRegion'], message: 'BATCH_DATABASE_URL is set: declare where that database stores batch files (BATCH_DATABASE_REGION), e.g. cr-sjo-1' });
    }
    if (cfg.retrieval.databaseUrl && !cfg.retrieval.databaseRegion) {
      ctx.addIssue({ code: 'custom', path: ['retrieval', 'databaseRegion'], message: 'DATABASE_URL is set: declare where that database stores documents and vectors (DATABASE_REGION), e.g. cr-sjo-1' });
    }
    for (const [name, p] of Object.entries(cfg.routing.aliases)) {
      if (p.retrieval && !cfg.retrieval.enabled) {
        ctx.addIssue({ code: 'custom', path: ['routing', 'aliases', name, 'retrieval'], message: `alias '${name}' answers from collection '${p.retrieval.collection}' but the retrieval stage is off (set RETRIEVAL_ENABLED=true)` });
      }
    }
    if (cfg.server.headersTimeoutMs > cfg.server.requestReceiveTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['server', 'headersTimeoutMs'], message: `must not exceed server.requestReceiveTimeoutMs (${cfg.server.requestReceiveTimeoutMs}): the whole request includes its headers` });
    }
    if (cfg.auth.mode === 'edge' && !cfg.auth.edgeSecret) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'edgeSecret'], message: 'required when auth.mode is "edge" (set EDGE_SIGNING_SECRET)' });
    }
    if (cfg.auth.mode === 'keys' && !cfg.auth.tenantsFile) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'tenantsFile'], message: 'required when auth.mode is "keys" (set TENANTS_FILE)' });
    }
    if (cfg.quota.store === 'redis' && !cfg.redis.url && cfg.redis.nodes.length === 0 && cfg.redis.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['quota', 'store'], message: 'quota.store is "redis" but no Redis is configured (set REDIS_URL, or QUOTA_STORE=auto)' });
    }
    if (cfg.admission.scope === 'redis' && (!redisConfigured(cfg.redis) || cfg.quota.store === 'memory')) {
      ctx.addIssue({ code: 'custom', path: ['admission', 'scope'], message: 'admission.scope is "redis" (slots shared by every replica) but no Redis is in use: set REDIS_URL (and leave quota.store at "auto" or "redis"), or ADMISSION_SCOPE=auto' });
    }
    const seen = new Set<string>();
    cfg.upstreams.forEach((u, i) => {
      if (seen.has(u.name)) ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'name'], message: `duplicate upstream name '${u.name}'` });
      seen.add(u.name);
    });
  });

export type OriginConfig = z.infer<typeof originConfigSchema>;
export type OriginConfigInput = z.input<typeof originConfigSchema>;
