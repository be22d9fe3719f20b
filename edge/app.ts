/**
 * The edge as one portable Hono app; the order of `use` reads like the request path:
 * request id → CORS (preflight answered here) → auth → residency → rate limit → forward.
 * Runtime specifics arrive through `c.env.platform` (edge/platform.ts).
 */
import { Hono, type Context } from 'hono';
import { rejectUncanonicalPath, routingPath } from '../shared/canonical-path.ts';
import { errors, toPuertaError, type PuertaError } from '../shared/errors.ts';
import { errorResponse } from '../shared/dialects/errors.ts';
import { errorDialectFor, KEYED_PREFIXES } from '../shared/routes.ts';
import { authenticate } from './auth/middleware.ts';
import { cors } from './cors.ts';
import { forward } from './forward/forward.ts';
import { rateLimit } from './limits/middleware.ts';
import type { EdgeEnv } from './platform.ts';
import { requestContext } from './request-context.ts';
import { residency } from './residency/policy.ts';

/**
 * The edge's own errors in the caller's dialect, as the origin does: the route table's error
 * shape for the path (shared/routes.ts), so an Ollama client reads `error` as a string and an
 * OpenAI client its `{"error":{…}}`. Status and headers are the same either way.
 */
function edgeError(err: PuertaError, c: Context<EdgeEnv>): Response {
  return errorResponse(errorDialectFor(c.req.path), err, c.get('requestId'));
}

export function createEdgeApp(): Hono<EdgeEnv> {
  // Routing and every check see one canonical path; a path without one is refused first.
  const app = new Hono<EdgeEnv>({ getPath: routingPath });

  app.use('*', requestContext());
  app.use('*', cors());
  app.use('*', rejectUncanonicalPath());

  app.get('/healthz', (c) => c.json({ status: 'ok', runtime: c.env.platform.runtime }));
  // Ollama's liveness answer, given here without a key: the Ollama CLI and Claude Code probe
  // `HEAD /` before they authenticate. It says the front door is up, nothing about the engine.
  app.get('/', (c) => c.text('Ollama is running'));

  for (const prefix of KEYED_PREFIXES) {
    app.use(prefix, authenticate(), residency(), rateLimit());
    app.all(prefix, forward);
  }

  app.notFound((c) => {
    const err = errors.notFound(`no route for ${c.req.method} ${c.req.path}; this gateway serves /v1/* (OpenAI) and /api/* (Ollama)`);
    return edgeError(err, c);
  });

  app.onError((e, c) => {
    const err = toPuertaError(e);
    if (err.status >= 500 && err.cause !== undefined) {
      // Internal failures only: their message is hidden from the client, so it goes to the log.
      console.error(JSON.stringify({ msg: 'edge error', request_id: c.get('requestId'), error: String(err.cause) }));
    }
    return edgeError(err, c);
  });

  return app;
}
