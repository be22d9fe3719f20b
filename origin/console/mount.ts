import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Hono } from 'hono';
import { DEFAULT_TENANTS_FILE } from '../../edge/cli/tenants-file.ts';
import type { AdmissionController } from '../admission/controller.ts';
import type { OperatorEvent } from '../audit/operator-record.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuditConfig } from '../audit/config.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { Admission } from '../core/admission.ts';
import type { Observers } from '../core/record.ts';
import type { MetricsConfig } from '../metrics/config.ts';
import type { QuotaService } from '../quota/service.ts';
import type { RedisConnection } from '../redis/connection.ts';
import type { BatchService } from '../batch/service.ts';
import type { RetrievalStage } from '../retrieval/stage.ts';
import type { Router } from '../routing/router.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import type { ConsoleConfig } from './config.ts';
import type { OriginEnv } from '../core/env.ts';
import { AuditDays } from './audit-days.ts';
import { consoleEnabled } from './config.ts';
import { LocalStreams } from './live/local-streams.ts';
import { NowBoard } from './live/now-board.ts';
import { Drains } from './live/drains.ts';
import { consoleApp } from './routes.tsx';
import { CONSOLE_PATH } from './session.ts';
import { TenantsStore } from './tenants-store.ts';
import { timeoutToday } from './timeout-chain.ts';

/** What the console reads of the origin (origin/app.ts passes its deps, which have all of it). */
export interface ConsoleSources {
  cfg: Parameters<typeof timeoutToday>[0] & {
    console: ConsoleConfig;
    audit: AuditConfig;
    auth: { mode: 'none' | 'edge' | 'keys'; tenantsFile?: string | undefined };
    metrics: Pick<MetricsConfig, 'gpuMemoryBytes'>;
  };
  log: Logger;
  observers: Observers;
  admission: Admission;
  registry: Pick<UpstreamRegistry, 'upstreams'>;
  shutdownSignal: AbortSignal;
  drainSignal?: AbortSignal | undefined;
  redis?: RedisConnection | undefined;
  router?: Router | undefined;
  audit?: AuditTrail | null | undefined;
  quota?: QuotaService | undefined;
  telemetry?: { metrics: { registry: Registry } } | undefined;
  retrieval?: RetrievalStage | undefined;
  batch?: BatchService | undefined;
}

/**
 * Mounts the operator console at /console when it is configured (CONSOLE_USER and
 * CONSOLE_PASSWORD_HASH); otherwise nothing answers there. The edge forwards only /v1/* and
 * /api/*, so /console is reachable on the origin's own address, never through the edge.
 * This is the one place that reads the origin's sources for the console; the pages get what they use.
 */
export function mountConsole(app: Hono<OriginEnv>, deps: ConsoleSources): void {
  const cfg = deps.cfg.console;
  if (!consoleEnabled(cfg)) return;
  const replica = `${deps.cfg.audit.node}-${randomBytes(3).toString('hex')}`;
  const local = new LocalStreams(replica);
  deps.observers.add(local);
  const admission = deps.admission as Partial<AdmissionController>;
  const board = new NowBoard({
    local,
    log: deps.log,
    slots: () => (admission.snapshot ? admission.snapshot().map(({ upstream, model, active, queued, limit, scope }) => ({ upstream, model, active, queued, limit, scope })) : []),
    redis: deps.redis,
  });

  const redis = deps.redis;
  const drains = deps.router ? new Drains(deps.router, deps.log, redis) : undefined;
  deps.shutdownSignal.addEventListener(
    'abort',
    () => {
      void board.close();
      drains?.close();
    },
    { once: true },
  );
  const audit = deps.audit ?? null;
  const record = (e: OperatorEvent) => {
    deps.log.info({ operator: e.operator, action: e.action, target: e.target ?? null, outcome: e.outcome ?? 'ok', reason: e.reason ?? null }, 'console: operator action');
    audit?.operator(e);
  };
  const a = deps.cfg.audit;
  // `/console/` as typed in a browser; the console's own root is `/console`.
  app.get(`${CONSOLE_PATH}/`, (c) => c.redirect(`${CONSOLE_PATH}/now`, 303));
  app.route(
    CONSOLE_PATH,
    consoleApp({
      cfg,
      log: deps.log,
      record,
      audited: audit !== null,
      auditPolicy: { region: a.region, node: a.node, policy: a.policy, tenants: a.tenants, sinks: audit ? audit.sinks.map((s) => `${s.name}@${s.region}`) : [] },
      tenants: new TenantsStore(resolve(cfg.tenantsFile ?? deps.cfg.auth.tenantsFile ?? DEFAULT_TENANTS_FILE)),
      auditDays: a.file.dir ? new AuditDays(a.file.dir, a.chainKey) : null,
      quota: deps.quota,
      upstreams: deps.registry.upstreams,
      gpuMemory: deps.cfg.metrics.gpuMemoryBytes,
      health: () => (deps.router ? deps.router.snapshot().upstreams : []),
      engineLoad: (upstream) => deps.router?.engineLoad(upstream),
      engineMeasures: (upstream) => (deps.router?.measures?.all() ?? []).filter((m) => m.upstream === upstream),
      board,
      drains,
      drain: deps.drainSignal,
      metricsText: deps.telemetry ? () => deps.telemetry!.metrics.registry.metrics() : undefined,
      timeoutToday: timeoutToday(deps.cfg),
      retrieval: deps.retrieval,
      batch: deps.batch,
      extraTenants: deps.cfg.auth.mode === 'none' ? ['anonymous'] : [],
    }),
  );
}
