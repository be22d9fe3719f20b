/**
 * The edge as one portable Hono app; the order of `use` reads like the request path:
 * request id → CORS (preflight answered here) → auth → residency → rate limit → forward.
 * Runtime specifics arrive through `c.env.platform` (edge/platform.ts).
 */
import { Hono, type Context } from 'hono';
import { rejectUncanonicalPath, routingPath } from '../shared/canonical-path.ts';
import { errors, toPuertaError, type PuertaError } from '../shared/errors.ts';
import { authenticate } from './auth/middleware.ts';
import { cors } from './cors.ts';
import { forward } from './forward/forward.ts';
import { rateLimit } from './limits/middleware.ts';
import type { EdgeEnv } from './platform.ts';
import { requestContext } from './request-context.ts';
import { residency } from './residency/policy.ts';

/**
 * The edge's own errors in the caller's dialect, as the origin does: OpenAI's
 * `{"error":{message,type,code,param},"request_id"}` on /v1, Ollama's `{"error":"…"}` on /api
 * (the ollama clients read `error` as a string). Status and headers are the same either way.
 */
function errorResponse(err: PuertaError, c: Context<EdgeEnv>): Response {
  const requestId = c.get('requestId');
  if (!c.req.path.startsWith('/api/')) return err.toResponse(requestId);
  return new Response(JSON.stringify({ error: err.message, request_id: requestId }), {
    status: err.status,
    headers: err.responseHeaders(requestId),
  });
}

export function createEdgeApp(): Hono<EdgeEnv> {
  // Routing and every check see one canonical path; a path without one is refused first.
  const app = new Hono<EdgeEnv>({ getPath: routingPath });

  app.use('*', requestContext());
  app.use('*', cors());
  app.use('*', rejectUncanonicalPath());

  app.get('/healthz', (c) => c.json({ status: 'ok', runtime: c.env.platform.runtime }));

  for (const prefix of ['/v1/*', '/api/*']) {
    app.use(prefix, authenticate(), residency(), rateLimit());
    app.all(prefix, forward);
  }

  app.notFound((c) => {
    const err = errors.notFound(`no route for ${c.req.method} ${c.req.path}; this gateway serves /v1/* (OpenAI) and /api/* (Ollama)`);
    return errorResponse(err, c);
  });

  app.onError((e, c) => {
    const err = toPuertaError(e);
    if (err.status >= 500 && err.cause !== undefined) {
      // Internal failures only: their message is hidden from the client, so it goes to the log.
      console.error(JSON.stringify({ msg: 'edge error', request_id: c.get('requestId'), error: String(err.cause) }));
    }
    return errorResponse(err, c);
  });

  return app;
}
