import type { Logger } from 'pino';
import type { AuditTrail } from './audit/trail.ts';
import type { Telemetry } from './metrics/telemetry.ts';
import type { QuotaService } from './quota/service.ts';
import type { RedisConnection } from './redis/connection.ts';
import type { Router } from './routing/router.ts';
import type { RetrievalStage } from './retrieval/stage.ts';
import type { BatchService } from './batch/service.ts';
import type { OriginConfig } from './config/schema.ts';
import type { UpstreamPoller } from './upstream/poller.ts';
import type { UpstreamRegistry } from './upstream/registry.ts';
import type { Admission } from './core/admission.ts';
import type { Observers } from './core/record.ts';

/**
 * Everything the origin is built from: made once at start (buildDeps in origin/node/server.ts) and
 * read only by origin/app.ts, which hands each route and subsystem the narrow part it uses (each
 * declares its own: ExchangeDeps, DialectDeps, RetrievalDeps, ConsoleSources…).
 */
export interface OriginDeps {
  cfg: OriginConfig;
  log: Logger;
  registry: UpstreamRegistry;
  /** The one poller of every upstream (health for routing, models and restarts for metrics). */
  poller: UpstreamPoller;
  observers: Observers;
  admission: Admission;
  /** The replica's one Redis connection (origin/redis/connection.ts), when quotas live in Redis; closed last. */
  redis?: RedisConnection;
  /** Stops the slot leases shared through Redis (renewals, grant subscription) at shutdown. */
  sharedSlots?: { close(): Promise<void> };
  /** Aborted when the grace period of a shutdown is over: open streams end with an error event. */
  shutdownSignal: AbortSignal;
  /** Aborted when a shutdown begins: long-lived answers that are not API requests (the console's event streams) end then. */
  drainSignal?: AbortSignal;
  /** Prometheus metrics (absent when metrics.enabled is false). */
  telemetry?: Telemetry;
  /** The audit trail (absent or null when no sink is configured). */
  audit?: AuditTrail | null;
  /** Tenant quotas and usage (origin/quota/). */
  quota?: QuotaService;
  /** Aliases, health, ejection, pinned models (origin/routing/); without it the registry routes alone. */
  router?: Router;
  /** Collections, ingestion and RAG aliases (origin/retrieval/); absent when retrieval.enabled is false. */
  retrieval?: RetrievalStage;
  /** Files, batches and this replica's batch runner (origin/batch/); absent when batch.enabled is false. */
  batch?: BatchService;
}
