import type { Logger } from 'pino';
import type { OperatorEvent } from '../audit/operator-record.ts';
import type { AuditConfig } from '../audit/config.ts';
import type { QuotaService } from '../quota/service.ts';
import type { UpstreamHealthState } from '../routing/health.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { EngineFigures } from '../routing/engine-measures.ts';
import type { EngineLoad } from '../upstream/engine-load.ts';
import type { RetrievalStage } from '../retrieval/stage.ts';
import type { BatchService } from '../batch/service.ts';
import type { AuditDays } from './audit-days.ts';
import type { ConsoleConfig } from './config.ts';
import type { NowBoard } from './live/now-board.ts';
import type { Drains } from './live/drains.ts';
import type { TenantsStore } from './tenants-store.ts';
import type { timeoutToday } from './timeout-chain.ts';

/** The few things the console reads and acts on; origin/console/mount.ts builds it from the origin's deps. */
export interface ConsoleDeps {
  cfg: ConsoleConfig & { user: string; passwordHash: string };
  log: Logger;
  /** Writes an operator action to the audit trail (and the log). */
  record(e: OperatorEvent): void;
  /** Whether operator actions reach an audit trail (else only the log). */
  audited: boolean;
  auditPolicy: Pick<AuditConfig, 'region' | 'node' | 'policy' | 'tenants'> & { sinks: string[] };
  tenants: TenantsStore;
  auditDays: AuditDays | null;
  quota: QuotaService | undefined;
  upstreams: readonly UpstreamClient[];
  health(): UpstreamHealthState[];
  /** What an engine's own /metrics last reported (upstreams with `metricsPath`), read by the router's poller. */
  engineLoad(upstream: string): EngineLoad | undefined;
  /** What the origin measured of each model on an engine (origin/routing/engine-measures.ts). */
  engineMeasures(upstream: string): Array<{ model: string } & EngineFigures>;
  /** GPU memory per upstream box (metrics.gpuMemoryBytes), by name or `*`. */
  gpuMemory: Record<string, number>;
  board: NowBoard;
  /** Upstreams being drained (absent without a router). */
  drains: Drains | undefined;
  /** The retrieval stage, when it is on; tenants without a tenants file (auth mode none) are `anonymous`. */
  retrieval: RetrievalStage | undefined;
  /** The batch stage, when it is on: each tenant's batches with their progress. */
  batch: BatchService | undefined;
  extraTenants: readonly string[];
  /** This origin's Prometheus exposition (absent when metrics are off), for the timeout chain. */
  metricsText: (() => Promise<string>) | undefined;
  timeoutToday: ReturnType<typeof timeoutToday>;
  /** Aborted when the origin begins to shut down: event streams end so they do not hold it up. */
  drain: AbortSignal | undefined;
}
