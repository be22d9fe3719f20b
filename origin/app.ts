import { Hono } from 'hono';
import { rejectUncanonicalPath, routingPath } from '../shared/canonical-path.ts';
import { errors } from '../shared/errors.ts';
import { createAuthMiddleware } from './auth/index.ts';
import { modelAllowList } from './auth/model-allow-list.ts';
import { RedisReplayGuard } from './auth/redis-replay-guard.ts';
import { bodyLimit } from './http/body-limit.ts';
import { chain } from './http/chain.ts';
import { TableRouter } from './http/table-router.ts';
import { errorHandler } from './http/error-handler.ts';
import { recordMiddleware } from './http/record-middleware.ts';
import { requestFacts } from './http/request-facts.ts';
import { healthRoutes } from './health.ts';
import { metricsRoute } from './metrics/route.ts';
import { adminRoutes } from './admin/routes.ts';
import { adminAuth } from './admin/auth.ts';
import { mountConsole } from './console/mount.ts';
import { collectionRoutes, param } from './retrieval/routes.ts';
import { batchRoutes } from './batch/batches-routes.ts';
import { fileRoutes } from './batch/files-routes.ts';
import { messageBatchRoutes } from './batch/anthropic/routes.ts';
import { isUpload } from '../shared/batch-paths.ts';
import { tenantIdSchema } from '../shared/tenants.ts';
import { priorityMiddleware } from './admission/priority.ts';
import { quotaMiddleware } from './quota/middleware.ts';
import { KEYED_PREFIXES, ROUTES } from '../shared/routes.ts';
import { CLIENT_DIALECTS } from './dialects/client/index.ts';
import type { OriginDeps } from './deps.ts';
import type { OriginEnv } from './core/env.ts';

/** The route table's paths without parameters, by method: their router answers are kept (http/table-router.ts). */
const FIXED_PATHS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ['GET', 'POST'].map((m) => [m, new Set(ROUTES.filter((e) => e.method === m && !e.path.includes('/:')).map((e) => e.path))]),
);

/** The origin as a portable Hono app; origin/node/ adapts it to a Node HTTP server. */
export function createOriginApp(deps: OriginDeps): Hono<OriginEnv> {
  // Routing and every check see one canonical path (shared/canonical-path.ts).
  const app = new Hono<OriginEnv>({ getPath: routingPath, router: new TableRouter(FIXED_PATHS) });
  app.onError(errorHandler);
  app.notFound((c) => {
    const e = errors.notFound(`no route ${c.req.method} ${c.req.path}; see the README for the OpenAI (/v1/...) and Ollama (/api/...) routes`);
    return errorHandler(e, c);
  });

  // Before the request records: console pages are not API requests (no record, metrics or audit line of their own).
  mountConsole(app, deps);
  app.use('*', chain(recordMiddleware(deps), rejectUncanonicalPath()));
  app.route('/', healthRoutes(deps));
  if (deps.telemetry) app.route('/', metricsRoute(deps.telemetry.metrics, deps, deps.cfg.metrics.token));

  const limit = deps.cfg.server.maxBodyBytes;
  // One instance for every route tree: a nonce seen on /v1 is also a replay on /api.
  const replay = deps.redis ? new RedisReplayGuard(deps.redis.client, deps.redis.keyPrefix, deps.log, deps.redis.commandTimeoutMs) : undefined;
  const auth = createAuthMiddleware(deps.cfg.auth, { maxBodyBytes: limit, replay });
  // A batch input file (POST /v1/files) is larger than any request body: its own limit, batch.maxFileBytes.
  const batch = deps.batch;
  const uploadAuth = batch ? createAuthMiddleware(deps.cfg.auth, { maxBodyBytes: batch.cfg.maxFileBytes, replay }) : auth;
  const requestLimit = bodyLimit(limit);
  const uploadLimit = batch ? bodyLimit(batch.cfg.maxFileBytes) : requestLimit;
  // Every keyed request's way in, as one middleware (one router entry, no hop between steps).
  const intake = chain(
    batch ? (c, next) => (isUpload(c.req.method, c.req.path) ? uploadAuth : auth)(c, next) : auth,
    batch ? (c, next) => (isUpload(c.req.method, c.req.path) ? uploadLimit : requestLimit)(c, next) : requestLimit,
    requestFacts(deps, (route) => CLIENT_DIALECTS[route.dialect].body(route)),
    // After the request's facts (the body read once), before any queue or quota is spent on a refusal.
    modelAllowList(),
    priorityMiddleware(deps.cfg.admission),
    ...(deps.quota ? [quotaMiddleware(deps.quota)] : []),
  );
  for (const path of KEYED_PREFIXES) app.use(path, intake);
  if (deps.retrieval) {
    // Operators manage any tenant's collections; the admin token is checked before the sub-app runs.
    app.use('/admin/tenants/*', adminAuth(deps.cfg.admin.token));
    app.route('/admin/tenants/:tenant', collectionRoutes(deps.retrieval, (c) => ({ id: param(c, 'tenant', tenantIdSchema), via: 'none' })));
  }
  app.route('/admin', adminRoutes(deps));
  if (deps.retrieval) app.route('/v1', collectionRoutes(deps.retrieval, (c) => c.get('tenant')));
  if (batch) {
    app.route('/v1', fileRoutes(batch));
    app.route('/v1', batchRoutes(batch));
    app.route('/v1', messageBatchRoutes(batch));
  }

  // Every route from the one table; its dialect's folder serves it.
  for (const route of ROUTES) app.on(route.method, route.path, CLIENT_DIALECTS[route.dialect].handler(deps, route));
  return app;
}
