import { createAdaptorServer, type Http2Bindings, type HttpBindings, type ServerType } from '@hono/node-server';
import { setMaxListeners } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createOriginApp } from '../app.ts';
import { startAudit } from '../audit/start-audit.ts';
import { startTelemetry } from '../metrics/telemetry.ts';
import { loadOriginConfig, type LoadOptions } from '../config/load.ts';
import type { OriginConfig } from '../config/schema.ts';
import { accessLog } from '../access-log.ts';
import { createLogger } from '../logger.ts';
import { createAdmission } from '../admission/create.ts';
import { quotaInRedis } from '../quota/config.ts';
import { QuotaService } from '../quota/service.ts';
import { openRedis } from '../redis/connection.ts';
import { Router } from '../routing/router.ts';
import { EngineMeasures } from '../routing/engine-measures.ts';
import { MemoryAffinityStore, RedisAffinityStore } from '../routing/affinity-store.ts';
import { RetrievalStage } from '../retrieval/stage.ts';
import { BatchStage } from '../batch/stage.ts';
import type { OriginDeps } from '../deps.ts';
import { Observers } from '../core/record.ts';
import { UpstreamPoller } from '../upstream/poller.ts';
import { UpstreamRegistry } from '../upstream/registry.ts';
import { answerRefusedRequests } from './client-error.ts';
import { NodeSinkSlot } from './response-sink.ts';

export interface RunningOrigin {
  url: string;
  port: number;
  cfg: OriginConfig;
  deps: OriginDeps;
  /** Stop accepting, let open streams finish for up to `graceMs`, then end them with an error event. */
  shutdown(graceMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions extends LoadOptions {
  logger?: Logger;
  /** Extra wiring before the server accepts requests (observers, admission). */
  setup?(deps: OriginDeps): void | Promise<void>;
}

/** Builds everything the app needs once at start. */
export function buildDeps(cfg: OriginConfig, log: Logger, shutdownSignal: AbortSignal): OriginDeps {
  // Every open stream listens for the end of a shutdown's grace period: thousands is normal.
  setMaxListeners(0, shutdownSignal);
  const observers = new Observers();
  observers.add(accessLog(log));
  const registry = new UpstreamRegistry(cfg, log);
  // The one Redis connection every replica shares, when quotas live there; quotas, admission
  // (slots shared through it, or pass-through with admission.mode "off"), nonces and the console use it.
  const redis = quotaInRedis(cfg.quota, cfg.redis) ? openRedis(cfg.redis, log) : undefined;
  const quota = new QuotaService(cfg.quota, redis, log);
  observers.add(quota.observer);
  // An engine's load reading counts for three polls (and the longest a poll may take), then is ignored.
  const { intervalMs, timeoutMs } = cfg.routing.health;
  const engineStaleMs = 3 * (intervalMs > 0 ? intervalMs : 10_000) + timeoutMs;
  // What the front door measures of each engine: routing's tie-break and the queue's wait estimate.
  const measures = new EngineMeasures(cfg.routing.coldLoadMs);
  observers.add(measures);
  const admission = createAdmission(cfg.admission, redis, log, engineStaleMs, (u, m) => measures.serviceMs(u, m));
  // Conversations' engines: shared by every replica through the same Redis, else this replica's own.
  const { affinity: aff } = cfg.routing;
  const affinity = !aff.enabled ? undefined : redis ? new RedisAffinityStore(redis.client, redis.keyPrefix, aff, log, redis.commandTimeoutMs) : new MemoryAffinityStore(aff);
  const router = new Router(cfg.routing, registry, log, admission.load, { measures, ...(affinity ? { affinity } : {}) });
  const poller = new UpstreamPoller(registry.upstreams, cfg.routing.health);
  router.start(poller);
  if (router.demand) observers.add(router.demand);
  poller.onResult((r) => admission.engines?.observe(r.upstream.name, r.ok ? r.engine : undefined, r.at));
  return {
    cfg,
    log,
    registry,
    observers,
    admission: admission.admission,
    sharedSlots: admission,
    shutdownSignal,
    ...(redis ? { redis } : {}),
    quota,
    router,
    poller,
  };
}

/** Audit (last batch, seal), telemetry, the upstream poller, upstream pools, Redis: in that order. */
async function releaseDeps(deps: OriginDeps): Promise<void> {
  // First: its runner's lines go back to the store before quotas, admission and audit close.
  await deps.batch?.close();
  await deps.retrieval?.close();
  await deps.audit?.close();
  await deps.telemetry?.close();
  deps.router?.close();
  await deps.poller.close();
  await deps.registry.close();
  // Before the Redis client closes: the slot subscriber and renewals stop first.
  await deps.sharedSlots?.close();
  await deps.quota?.close();
  await deps.redis?.close();
}

export async function startOrigin(opts: StartOptions = {}): Promise<RunningOrigin> {
  const cfg = loadOriginConfig(opts);
  const log = opts.logger ?? createLogger(cfg.log);
  const shutdownCtl = new AbortController();
  const deps = buildDeps(cfg, log, shutdownCtl.signal);
  const drainCtl = new AbortController();
  deps.drainSignal = drainCtl.signal;
  if (cfg.metrics.enabled) deps.telemetry = startTelemetry(deps);
  // Before the first request: a sink that cannot open stops the start (no unaudited traffic).
  deps.audit = await startAudit(cfg.audit, deps.observers, log, deps.telemetry?.auditEvents);
  try {
    // The store and its migrations, before the first request (a database that cannot open stops the start).
    const retrieval = await RetrievalStage.start(deps);
    if (retrieval) deps.retrieval = retrieval;
    const batch = await BatchStage.start(deps);
    if (batch) deps.batch = batch;
  } catch (err) {
    shutdownCtl.abort();
    await releaseDeps(deps);
    throw err;
  }
  await opts.setup?.(deps);
  const app = createOriginApp(deps);

  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const serverOptions = {
        // Receiving the request is bounded (slow headers, slow bodies: 408 and the connection
        // closed); the response is not, streams are long. Checked every second, not Node's 30 s.
        headersTimeout: cfg.server.headersTimeoutMs,
        requestTimeout: cfg.server.requestReceiveTimeoutMs,
        connectionsCheckingInterval: Math.min(1_000, cfg.server.headersTimeoutMs),
      };
      // Streams are written straight to the Node response (origin/node/response-sink.ts); its
      // head goes out once the app has answered, with the headers middleware set on the way out.
      const fetch = async (req: Request, env: HttpBindings | Http2Bindings) => {
        const node = new NodeSinkSlot(env.outgoing as ServerResponse);
        const res = await app.fetch(req, { openSink: node.openSink });
        return node.sink ? node.sink.takeOver(res) : res;
      };
      const s = createAdaptorServer({ fetch, serverOptions });
      // Requests the parser refuses (headers past the limit: 431) are answered without a reset.
      answerRefusedRequests(s as Server, log);
      s.once('error', reject);
      // Not serve(): it cannot pass listen()'s backlog.
      s.listen({ port: cfg.server.port, host: cfg.server.host, backlog: cfg.server.listenBacklog }, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
  } catch (err) {
    // A taken port must stop the start with the address named, not crash or hang: undo what started.
    shutdownCtl.abort();
    await releaseDeps(deps);
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`origin cannot listen on ${cfg.server.host}:${cfg.server.port}: ${code === 'EADDRINUSE' ? 'the address is in use (set PORT or server.port)' : (err as Error).message}`, { cause: err });
  }
  const http = server as Server;
  http.keepAliveTimeout = cfg.server.idleTimeoutMs;
  const { port } = server.address() as AddressInfo;
  const url = `http://${cfg.server.host.includes(':') ? `[${cfg.server.host}]` : cfg.server.host}:${port}`;
  log.info({ url, upstreams: cfg.upstreams.map((u) => `${u.name}=${u.kind}:${u.url}`), auth: cfg.auth.mode }, 'origin listening');
  deps.poller.start();

  let closing: Promise<void> | undefined;
  const shutdown = (graceMs = cfg.server.shutdownGraceMs) =>
    (closing ??= (async () => {
      log.info({ graceMs }, 'shutting down: no new requests, open streams get the grace period');
      drainCtl.abort();
      const closed = new Promise<void>((r) => http.close(() => r()));
      http.closeIdleConnections();
      const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), graceMs).unref());
      if ((await Promise.race([closed, deadline])) === 'deadline') {
        log.warn('grace period over: ending open streams with an error event');
        shutdownCtl.abort();
        await new Promise((r) => setTimeout(r, 50));
        http.closeAllConnections();
      }
      shutdownCtl.abort();
      await closed;
      // Every request has ended (and been recorded): write the last batch and seal the file.
      await releaseDeps(deps);
    })());

  return { url, port, cfg, deps, shutdown, close: () => shutdown(0) };
}
