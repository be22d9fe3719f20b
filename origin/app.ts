import { Hono, type MiddlewareHandler } from 'hono';
import { rejectUncanonicalPath, routingPath } from '../shared/canonical-path.ts';
import { errors } from '../shared/errors.ts';
import { createAuthMiddleware } from './auth/index.ts';
import { modelAllowList } from './auth/model-allow-list.ts';
import { RedisReplayGuard } from './auth/redis-replay-guard.ts';
import { bodyLimit } from './http/body-limit.ts';
import { chain } from './http/chain.ts';
import { oneHandler } from './http/one-handler.ts';
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
import { isKeyed, KEYED_PREFIXES, ROUTES } from '../shared/routes.ts';
import { CLIENT_DIALECTS } from './dialects/client/index.ts';
import type { OriginDeps } from './deps.ts';
import type { OriginEnv } from './core/env.ts';

/** The origin as a portable Hono app; origin/node/ adapts it to a Node HTTP server. */
export function createOriginApp(deps: OriginDeps): Hono<OriginEnv> {
  // Routing and every check see one canonical path (shared/canonical-path.ts).
  // A route of the table is one router entry, answered alone (http/table-router.ts): the middleware
  // below reach every other path (health, metrics, admin, retrieval, batch, not-found), and each
  // table route runs the same steps itself, in the same order, through oneHandler (the end of this function).
  const app = new Hono<OriginEnv>({ getPath: routingPath, router: new TableRouter(ROUTES) });
  app.onError(errorHandler);
  app.notFound((c) => {
    const e = errors.notFound(`no route ${c.req.method} ${c.req.path}; see the README for the OpenAI (/v1/...) and Ollama (/api/...) routes`);
    return errorHandler(e, c);
  });

  // Before the request records: console pages are not API requests (no record, metrics or audit line of their own).
  mountConsole(app, deps);
  const front: Array<MiddlewareHandler<OriginEnv>> = [recordMiddleware(deps), rejectUncanonicalPath()];
  app.use('*', chain(...front));
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
  // Every keyed request's way in: one middleware (one router entry, no hop between steps) for the
  // keyed paths below, one level of each keyed table route.
  const intakeSteps: Array<MiddlewareHandler<OriginEnv>> = [
    batch ? (c, next) => (isUpload(c.req.method, c.req.path) ? uploadAuth : auth)(c, next) : auth,
    batch ? (c, next) => (isUpload(c.req.method, c.req.path) ? uploadLimit : requestLimit)(c, next) : requestLimit,
    requestFacts(deps, (route) => CLIENT_DIALECTS[route.dialect].body(route)),
    // After the request's facts (the body read once), before any queue or quota is spent on a refusal.
    modelAllowList(),
    priorityMiddleware(deps.cfg.admission),
    ...(deps.quota ? [quotaMiddleware(deps.quota)] : []),
  ];
  const intake = chain(...intakeSteps);
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

  // Every route from the one table; its dialect's folder serves it, after the steps the middleware
  // above give any request on its path: what Hono's general path would run for it, as one handler.
  for (const route of ROUTES) {
    const handler = CLIENT_DIALECTS[route.dialect].handler(deps, route);
    app.on(route.method, route.path, oneHandler(errorHandler, front, ...(isKeyed(route) ? [intakeSteps] : []), [handler]));
  }
  return app;
}
